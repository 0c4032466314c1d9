"""The derivation of an expression as written, rule by rule: a tree of rule applications.

Built from the parse tree, not from SymPy's expression, so that the steps are
those of what was typed (``sqrt(x**2)`` is a chain rule, not SymPy's ``Abs(x)``)
and each step has the subexpression whose tensor autograd computes. Products
are read as torch computes them: one that divides by the variable is taken
apart from the right, ``(a*b)/c``. Each step's derivative is formed from its
children's by the rule; only a function's own derivative (``cos(u)`` for
``sin(u)``) comes from SymPy.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import sympy

from derivcli.core.symbolic.build import SYMPY_FUNCTIONS, node_expression
from derivcli.parsing.tree import Call, Negate, Node, Power, Product, Sum, Variable, node_text, post_order

#: Placeholder names of a chain rule's inner functions, in order of preference.
_PLACEHOLDERS: Final = ("u", "v", "w", "s", "t", "p", "q")


@dataclass(frozen=True, slots=True)
class RuleStep:
    """One rule application on a subexpression (or, for a chain rule, on its outer function)."""

    id: int
    parent: int | None
    rule: str
    #: The subexpression whose tensor autograd computes for this step.
    node: Node
    #: The step's expression in SymPy, and what it is differentiated by (the variable, or ``u``).
    expression: sympy.Expr
    by: sympy.Symbol
    #: The expression as written (``sqrt(u)`` for an outer function).
    text: str
    #: The rule's result.
    derivative: sympy.Expr
    formula: str
    let: str | None = None
    #: For a chain rule's outer function: the function as written with placeholders.
    outer: OuterFunction | None = None
    #: Subexpressions torch forms on the way to ``node`` (``a*b`` of ``a*b*c``): their nodes are this step's.
    parts: tuple[Node, ...] = ()

    @property
    def argument(self) -> Node | None:
        """For an outer function: the argument node that ``by`` stands for; None for other steps."""
        if self.outer is None:
            return None
        return dict(self.outer.slots)[self.by.name]


@dataclass(frozen=True, slots=True)
class OuterFunction:
    """A chain rule's outer function: the call (or power) as written with a placeholder for each varying
    argument (``sqrt(u)``), and the argument each placeholder stands for."""

    template: Node
    slots: tuple[tuple[str, Node], ...]


def derive(tree: Node, *, variable: str, symbols: Mapping[str, sympy.Symbol]) -> tuple[RuleStep, ...]:
    """The derivation of ``tree`` by ``variable``, as a flat list in tree order (each parent first)."""
    deriver = _Deriver(symbols, variable)
    deriver.derive(tree, None)
    return tuple(step for step in deriver.steps if step is not None)


def _placeholders(taken: Sequence[str]) -> Iterator[str]:
    """Fresh placeholder names: u, v, w, ..., then u1, u2, ... (never a variable's name)."""
    candidates = itertools.chain(_PLACEHOLDERS, (f"u{index}" for index in itertools.count(1)))
    return (name for name in candidates if name not in taken)


def _chain_partials(node: Sum | Product) -> tuple[Node, ...]:
    """The partial sums or products torch forms on the way: ``a + b`` of ``a + b + c``."""
    items = node.terms if isinstance(node, Sum) else node.factors
    return tuple(type(node)(items[:count], node.column) for count in range(2, len(items)))


class _Deriver:
    """Builds the steps depth first; each step's id is reserved before its children's."""

    def __init__(self, symbols: Mapping[str, sympy.Symbol], variable: str) -> None:
        self.symbols = symbols
        self.x = variable
        self.variable = symbols[variable]
        self.steps: list[RuleStep | None] = []
        self._names = _placeholders(list(symbols))
        self._placeholders: list[sympy.Symbol] = []
        self._mentions: dict[Node, bool] = {}

    def sympy_of(self, node: Node) -> sympy.Expr:
        """The SymPy expression of a subtree."""
        return node_expression(node, self.symbols)

    def mentions(self, node: Node) -> bool:
        """True when the subtree contains the variable (other variables are constants here)."""
        if node not in self._mentions:
            self._mentions[node] = any(
                isinstance(inner, Variable) and inner.name == self.x for inner in post_order(node)
            )
        return self._mentions[node]

    def placeholder(self, index: int) -> sympy.Symbol:
        """The index-th placeholder symbol (``u``, then ``v``, ...), the same object every time."""
        while len(self._placeholders) <= index:
            self._placeholders.append(sympy.Symbol(next(self._names), real=True))
        return self._placeholders[index]

    def reserve(self) -> int:
        """An id for a step whose children come next."""
        self.steps.append(None)
        return len(self.steps) - 1

    def record(
        self,
        step_id: int,
        parent: int | None,
        node: Node,
        rule: str,
        derivative: sympy.Expr,
        formula: str,
        *,
        outer: tuple[sympy.Expr, sympy.Symbol, OuterFunction] | None = None,
        let: str | None = None,
        parts: tuple[Node, ...] = (),
    ) -> sympy.Expr:
        """Fill in a reserved step and return its derivative; ``outer`` is (expression, u, function)."""
        if outer is None:
            expression, by, text, function = self.sympy_of(node), self.variable, node_text(node), None
        else:
            expression, by, function = outer
            text = node_text(function.template)
        self.steps[step_id] = RuleStep(
            id=step_id,
            parent=parent,
            rule=rule,
            node=node,
            expression=expression,
            by=by,
            text=text,
            derivative=derivative,
            formula=formula,
            let=let,
            outer=function,
            parts=parts,
        )
        return derivative

    # -- the rules -----------------------------------------------------------------------------

    def derive(self, node: Node, parent: int | None) -> sympy.Expr:
        """Record the step for ``node`` (and its children) and return its derivative by the variable."""
        step = self.reserve()
        x = self.x
        if not self.mentions(node):
            return self.record(step, parent, node, "constant", sympy.S.Zero, f"d/d{x} c = 0")
        if isinstance(node, Variable):
            return self.record(step, parent, node, "variable", sympy.S.One, f"d/d{x} {x} = 1")
        if isinstance(node, Negate):
            inner = self.derive(node.operand, step)
            return self.record(step, parent, node, "constant multiple", -inner, f"d/d{x} (-u) = -du/d{x}")
        if isinstance(node, Sum):
            total = sympy.Add(
                *[
                    -self.derive(term, step) if negative else self.derive(term, step)
                    for negative, term in node.terms
                ]
            )
            formula = f"d/d{x} (u + v) = du/d{x} + dv/d{x}"
            return self.record(step, parent, node, "sum", total, formula, parts=_chain_partials(node))
        if isinstance(node, Product):
            return self.product(node, step, parent)
        if isinstance(node, Power):
            return self.power(node, step, parent)
        if isinstance(node, Call):
            return self.call(node, step, parent)
        raise AssertionError(f"unhandled node {node!r}")

    def product(self, node: Product, step: int, parent: int | None) -> sympy.Expr:
        """Constant multiple, product rule, or (dividing by the variable) quotient rule."""
        x = self.x
        factors = node.factors
        if any(divide and self.mentions(factor) for divide, factor in factors) and len(factors) > 2:
            # Taken apart from the right, as torch computes it: (a*b)/c.
            head: Node = Product(factors[:-1], node.column)
            return self.binary(node, head, factors[-1], step, parent)
        if len(factors) == 2 and factors[1][0] and self.mentions(factors[1][1]):
            return self.binary(node, factors[0][1], factors[1], step, parent)
        constant = sympy.Mul(
            *[
                1 / self.sympy_of(factor) if divide else self.sympy_of(factor)
                for divide, factor in factors
                if not self.mentions(factor)
            ]
        )
        varying = [factor for _, factor in factors if self.mentions(factor)]
        parts = _chain_partials(node)
        if len(varying) == 1:
            inner = self.derive(varying[0], step)
            formula = f"d/d{x} (c*u) = c*du/d{x}"
            return self.record(
                step, parent, node, "constant multiple", constant * inner, formula, parts=parts
            )
        derivatives = [self.derive(factor, step) for factor in varying]
        values = [self.sympy_of(factor) for factor in varying]
        total = constant * sympy.Add(
            *[
                derivative * sympy.Mul(*values[:index], *values[index + 1 :])
                for index, derivative in enumerate(derivatives)
            ]
        )
        formula = f"d/d{x} (u*v) = du/d{x}*v + u*dv/d{x}"
        return self.record(step, parent, node, "product", total, formula, parts=parts)

    def binary(
        self, node: Product, head: Node, last: tuple[bool, Node], step: int, parent: int | None
    ) -> sympy.Expr:
        """``head * last`` or ``head / last``: constant multiple, product rule or quotient rule."""
        x = self.x
        divide, factor = last
        if not self.mentions(factor):
            inner = self.derive(head, step)
            value = self.sympy_of(factor)
            result = inner / value if divide else inner * value
            return self.record(step, parent, node, "constant multiple", result, f"d/d{x} (c*u) = c*du/d{x}")
        d_head, d_last = self.derive(head, step), self.derive(factor, step)
        u, v = self.sympy_of(head), self.sympy_of(factor)
        if divide:
            formula = f"d/d{x} (u/v) = (du/d{x}*v - u*dv/d{x})/v**2"
            return self.record(step, parent, node, "quotient", (d_head * v - u * d_last) / v**2, formula)
        formula = f"d/d{x} (u*v) = du/d{x}*v + u*dv/d{x}"
        return self.record(step, parent, node, "product", d_head * v + u * d_last, formula)

    def power(self, node: Power, step: int, parent: int | None) -> sympy.Expr:
        """Power rule (x**n), exponential rule (b**x), or the general power rule (u**v)."""
        x = self.x
        base, exponent = self.sympy_of(node.base), self.sympy_of(node.exponent)
        if self.mentions(node.base) and self.mentions(node.exponent):
            d_base, d_exponent = self.derive(node.base, step), self.derive(node.exponent, step)
            result = base**exponent * (d_exponent * sympy.log(base) + exponent * d_base / base)
            formula = f"d/d{x} u**v = u**v*(dv/d{x}*log(u) + v*du/d{x}/u)"
            return self.record(step, parent, node, "general power", result, formula)
        u = self.placeholder(0)
        slot = Variable(u.name, node.column)
        if self.mentions(node.base):
            return self.apply(
                node,
                step,
                parent,
                _Outer("power", u**exponent, u, node.base, Power(slot, node.exponent, node.column, "")),
                general="d/d{u} {u}**n = n*{u}**(n - 1)",
            )
        return self.apply(
            node,
            step,
            parent,
            _Outer("exponential", base**u, u, node.exponent, Power(node.base, slot, node.column, "")),
            general="d/d{u} b**{u} = b**{u}*log(b)",
        )

    def call(self, node: Call, step: int, parent: int | None) -> sympy.Expr:
        """A function's own rule, through the chain rule when its argument is not the variable itself."""
        if node.name in ("max", "min") and len(node.args) > 2:
            # max(a, b, c) is max(max(a, b), c), as torch computes it.
            args: tuple[Node, ...] = (Call(node.name, node.args[:-1], node.column), node.args[-1])
        else:
            args = node.args
        varying = [index for index, arg in enumerate(args) if self.mentions(arg)]
        slots = {index: self.placeholder(position) for position, index in enumerate(varying)}
        outer = SYMPY_FUNCTIONS[node.name](
            *[slots[index] if index in slots else self.sympy_of(arg) for index, arg in enumerate(args)]
        )
        template = Call(
            node.name,
            tuple(
                Variable(slots[index].name, arg.column) if index in slots else arg
                for index, arg in enumerate(args)
            ),
            node.column,
        )
        # log(x, b) is computed as log(x)/log(b): those two logarithms are this step's nodes.
        parts = (
            tuple(Call("log", (arg,), node.column) for arg in node.args)
            if node.name == "log" and len(node.args) == 2
            else ()
        )
        if len(varying) == 1:
            (index,) = varying
            return self.apply(
                node, step, parent, _Outer(node.name, outer, slots[index], args[index], template), parts=parts
            )
        return self.multivariable(node, args, slots, outer, template, step, parent)

    def apply(
        self,
        node: Node,
        step: int,
        parent: int | None,
        outer: _Outer,
        *,
        general: str | None = None,
        parts: tuple[Node, ...] = (),
    ) -> sympy.Expr:
        """A function's rule: at the variable itself, or through the chain rule with u = its argument."""
        x, u = self.x, outer.u
        d_outer = sympy.diff(outer.expression, u)
        rule = outer.rule if _known(d_outer) else "unknown"
        argument = outer.argument
        if isinstance(argument, Variable) and argument.name == x:
            result = d_outer.xreplace({u: self.variable})
            formula = general.format(u=x) if general else f"d/d{x} {node_text(node)} = {result}"
            return self.record(step, parent, node, rule, result, formula, parts=parts)
        outer_step = self.reserve()
        text = node_text(outer.template)
        formula = general.format(u=u.name) if general else f"d/d{u} {text} = {d_outer}"
        self.record(
            outer_step,
            step,
            node,
            rule,
            d_outer,
            formula,
            outer=(outer.expression, u, OuterFunction(outer.template, ((u.name, argument),))),
            parts=parts,
        )
        inner = self.derive(argument, step)
        result = d_outer.xreplace({u: self.sympy_of(argument)}) * inner
        formula = f"d/d{x} f(u) = f'(u)*du/d{x}"
        return self.record(
            step, parent, node, "chain", result, formula, let=f"{u} = {node_text(argument)}", parts=parts
        )

    def multivariable(
        self,
        node: Call,
        args: tuple[Node, ...],
        slots: Mapping[int, sympy.Symbol],
        outer: sympy.Expr,
        template: Call,
        step: int,
        parent: int | None,
    ) -> sympy.Expr:
        """f(u, v) with both arguments varying: the sum of each partial derivative times its argument's."""
        x = self.x
        text = node_text(template)
        fill = {slots[index]: self.sympy_of(args[index]) for index in slots}
        function = OuterFunction(template, tuple((slots[index].name, args[index]) for index in slots))
        terms = []
        for index, u in slots.items():
            partial = sympy.diff(outer, u)
            outer_step = self.reserve()
            rule = node.name if _known(partial) else "unknown"
            formula = f"d/d{u} {text} = {partial}"
            self.record(outer_step, step, node, rule, partial, formula, outer=(outer, u, function))
            terms.append(partial.xreplace(fill) * self.derive(args[index], step))
        names = list(slots.values())
        general = " + ".join(f"df/d{u}*d{u}/d{x}" for u in names)
        let = ", ".join(f"{slots[index]} = {node_text(args[index])}" for index in slots)
        return self.record(
            step,
            parent,
            node,
            "multivariable chain",
            sympy.Add(*terms),
            f"d/d{x} f({', '.join(map(str, names))}) = {general}",
            let=let,
        )


@dataclass(frozen=True, slots=True)
class _Outer:
    """A function of one placeholder: its rule, SymPy expression, the placeholder, what it stands for,
    and the node as written with the placeholder in its place (for its text)."""

    rule: str
    expression: sympy.Expr
    u: sympy.Symbol
    argument: Node
    template: Node


def _known(derivative: sympy.Expr) -> bool:
    """True when SymPy knows the derivative (it is not left as an unevaluated Derivative)."""
    return not derivative.has(sympy.Derivative, sympy.Subs)
