"""The expression as the user wrote it (the parse tree) translated into torch ops, for autograd.

Built from the parse tree, not from SymPy's expression, so that autograd sees
what was written; constant subexpressions are folded exactly, then rounded once.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, Final

import torch

from derivcli.core.numeric.device import Tensor
from derivcli.core.numeric.parts import (
    TorchFunction,
    apply_binary,
    apply_unary,
    constant_float,
    constant_function,
    heaviside,
    real_root,
    torch_softplus,
)
from derivcli.core.symbolic.build import tree_value
from derivcli.parsing.tree import (
    Call,
    Negate,
    Node,
    ParsedExpression,
    Power,
    Product,
    Sum,
    Variable,
    has_variable,
)
from derivcli.worker.cache import sized_cache

#: Called with each parse-tree node (or partial chain, e.g. the ``a + b`` of ``a + b + c``)
#: and the tensor computed for it, as the expression is evaluated.
Observer = Callable[[Node, Tensor], None]

#: The parser's function names and their torch counterparts, for the autograd side.
TORCH_FUNCTIONS: Final[Mapping[str, Callable[[Tensor], Tensor]]] = {
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "asin": torch.asin,
    "acos": torch.acos,
    "atan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "tanh": torch.tanh,
    "asinh": torch.asinh,
    "acosh": torch.acosh,
    "atanh": torch.atanh,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "erf": torch.erf,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "softplus": torch_softplus,
    "logsigmoid": torch.nn.functional.logsigmoid,
    "log1p": torch.log1p,
    "expm1": torch.expm1,
    "sec": lambda x: 1 / torch.cos(x),
    "csc": lambda x: 1 / torch.sin(x),
    "cot": lambda x: 1 / torch.tan(x),
    "asec": lambda x: torch.acos(1 / x),
    "acsc": lambda x: torch.asin(1 / x),
    "acot": lambda x: torch.atan(1 / x),
    "sech": lambda x: 1 / torch.cosh(x),
    "csch": lambda x: 1 / torch.sinh(x),
    "coth": lambda x: 1 / torch.tanh(x),
    "cbrt": lambda x: real_root(x, 3),
    "heaviside": lambda x: heaviside(x, 0.5),
}

#: Functions of two or more tensors, by the parser's names.
TORCH_BINARY: Final[Mapping[str, Callable[[Tensor, Tensor], Tensor]]] = {
    "atan2": torch.atan2,
    "hypot": torch.hypot,
    "logaddexp": torch.logaddexp,
    "root": real_root,
    "min": torch.minimum,
    "max": torch.maximum,
}


#: One call of the expression (by identity) and the torch code to run in its place, given its arguments.
Respelling = tuple[Call, Callable[..., Tensor]]


def compile_tree(
    parsed: ParsedExpression, *, observe: Observer | None = None, respell: Respelling | None = None
) -> TorchFunction:
    """Translate the expression as the user wrote it into torch ops (cached when not observed or respelled).

    ``respell`` runs other torch code for one call: ``deriv spellings`` runs
    relu(x) as torch.clamp(x, min=0) and the rest of the expression unchanged.
    """
    if observe is None and respell is None:
        return _compile_tree_cached(parsed)
    return _compile_tree(parsed, observe=observe, respell=respell)


@sized_cache(lambda parsed: len(parsed.text))
def _compile_tree_cached(parsed: ParsedExpression) -> TorchFunction:
    return _compile_tree(parsed, observe=None, respell=None)


def _compile_tree(
    parsed: ParsedExpression, *, observe: Observer | None, respell: Respelling | None
) -> TorchFunction:
    """Translate the expression as the user wrote it into torch ops, for autograd.

    The autograd side is built from the parse tree, not from SymPy's
    expression: SymPy rewrites on construction (``sqrt(x)**2`` becomes ``x``,
    ``x/x`` becomes ``1``), and the second witness must see what was written.
    Constant subexpressions are folded exactly, then rounded once.
    ``observe``, when given, sees every intermediate tensor with the
    subexpression that made it (``deriv graph`` names graph nodes with them).
    """
    part = _TreeTranslator(observe, respell).part(parsed.tree)
    if callable(part):
        return part
    return constant_function(part)


class _TreeTranslator:
    """Parse-tree nodes to torch: left to right, as a hand-written program would compute."""

    def __init__(self, observe: Observer | None = None, respell: Respelling | None = None) -> None:
        self.observe = observe
        self.respell = respell

    def watch(self, node: Node, part: TorchFunction | float) -> TorchFunction | float:
        """The part, reporting its tensor to the observer (if any) each time it is computed."""
        observe = self.observe
        if observe is None or not callable(part):
            return part
        function = part

        def watched(env: Mapping[str, Tensor]) -> Tensor:
            result = function(env)
            observe(node, result)
            return result

        return watched

    def part(self, node: Node) -> TorchFunction | float:
        """A tensor function, or a float for a constant subtree."""
        return self.watch(node, self._part(node))

    def _part(self, node: Node) -> TorchFunction | float:
        if not has_variable(node):
            return constant_float(tree_value(node))
        if isinstance(node, Variable):
            name = node.name
            return lambda env: env[name]
        if isinstance(node, Negate):
            return apply_unary(torch.neg, self.part(node.operand))
        if isinstance(node, Sum):
            return self.chain(node.terms, operator.add, operator.sub, lambda items: Sum(items, node.column))
        if isinstance(node, Product):
            return self.chain(
                node.factors, operator.mul, operator.truediv, lambda items: Product(items, node.column)
            )
        if isinstance(node, Power):
            return self.power(node)
        if isinstance(node, Call):
            return self.call(node)
        raise AssertionError(f"unhandled node {node!r}")

    def chain(
        self,
        items: tuple[tuple[bool, Node], ...],
        forward: Callable[[Any, Any], Any],
        inverse: Callable[[Any, Any], Any],
        partial: Callable[[tuple[tuple[bool, Node], ...]], Node],
    ) -> TorchFunction | float:
        """a + b - c or a * b / c, evaluated left to right (``partial`` names each step for observers)."""
        if self.observe is None:
            return _flat_chain([(inverse if flag else forward, self.part(item)) for flag, item in items])
        result = self.part(items[0][1])
        for count, (flag, item) in enumerate(items[1:], start=2):
            combined = _combine(inverse if flag else forward, result, self.part(item))
            result = self.watch(partial(items[:count]), combined) if count < len(items) else combined
        return result

    def power(self, node: Power) -> TorchFunction | float:
        """Integer exponents stay integers (torch.pow(x, 2)); others are floats or tensors."""
        base = self.part(node.base)
        if has_variable(node.exponent):
            return apply_binary(torch.pow, base, self.part(node.exponent))
        exponent = tree_value(node.exponent)
        if exponent.is_Integer and abs(int(exponent)) < 2**31:
            integer = int(exponent)
            return apply_unary(lambda x: torch.pow(x, integer), base)
        value = constant_float(exponent)
        return apply_unary(lambda x: torch.pow(x, value), base)

    def call(self, node: Call) -> TorchFunction | float:
        """Known functions; log with a base is log(x)/log(base)."""
        if node.name == "log" and len(node.args) == 2:
            numerator = self.part(Call("log", node.args[:1], node.column))
            denominator = self.part(Call("log", node.args[1:], node.column))
            return _combine(operator.truediv, numerator, denominator)
        args = [self.part(arg) for arg in node.args]
        if self.respell is not None and self.respell[0] is node:
            return _respelled(self.respell[1], args)
        if node.name in TORCH_BINARY:
            op = TORCH_BINARY[node.name]
            result = args[0]
            for count, other in enumerate(args[1:], start=2):
                if callable(result) or callable(other):
                    result = apply_binary(op, result, other)
                else:
                    # max(1, 2, x): the constant pair is folded (in float64, as constants are).
                    result = float(op(torch.tensor(result, dtype=torch.float64), torch.tensor(other)))
                if count < len(args):
                    result = self.watch(Call(node.name, node.args[:count], node.column), result)
            return result
        return apply_unary(TORCH_FUNCTIONS[node.name], args[0])


def _respelled(code: Callable[..., Tensor], args: list[TorchFunction | float]) -> TorchFunction:
    """Other torch code for one call; constant arguments become tensors like the others."""

    def run(env: Mapping[str, Tensor]) -> Tensor:
        tensors = [arg(env) if callable(arg) else None for arg in args]
        like = next(tensor for tensor in tensors if tensor is not None)
        return code(
            *(
                tensor if tensor is not None else torch.full_like(like, float(arg))  # type: ignore[arg-type]
                for tensor, arg in zip(tensors, args, strict=True)
            )
        )

    return run


def _flat_chain(
    steps: list[tuple[Callable[[Any, Any], Any], TorchFunction | float]],
) -> TorchFunction | float:
    """A long sum or product as one loop (nested closures would recurse once per term)."""
    first = steps[0][1]
    rest = steps[1:]
    if not any(callable(part) for _, part in steps):
        result: Any = first
        for op, part in rest:
            result = op(result, part)
        return float(result)

    def run(env: Mapping[str, Tensor]) -> Tensor:
        result: Any = first(env) if callable(first) else first
        for op, part in rest:
            result = op(result, part(env) if callable(part) else part)
        return result  # type: ignore[no-any-return]

    return run


def _combine(
    op: Callable[[Any, Any], Any], left: TorchFunction | float, right: TorchFunction | float
) -> TorchFunction | float:
    """Apply an arithmetic operator to two parts, tensors or Python floats."""
    if not callable(left) and not callable(right):
        return float(op(left, right))
    if callable(left) and callable(right):
        return lambda env: op(left(env), right(env))
    if callable(left):
        constant = right
        return lambda env: op(left(env), constant)
    constant_left = left
    function = right
    assert callable(function)
    return lambda env: op(constant_left, function(env))
