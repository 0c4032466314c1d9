"""The table of rewrites that keep floating-point bits, applied to the expression as written.

Each rule recognises one shape of parse tree (``log(1 + u)``) and returns the
equal expression that a numerical library computes more accurately
(``log1p(u)``). Candidates are rewrites at one place each, and everywhere at
once; whether one is equal, and whether it helps, is decided elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from derivcli.errors import DerivError
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.tree import (
    Call,
    Negate,
    Node,
    Number,
    ParsedExpression,
    Power,
    Product,
    Sum,
    node_text,
    post_order,
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rewrite: its name as a user reads it, and the function that applies it to a node (or not)."""

    name: str
    apply: Callable[[Node], Node | None]


def _number(value: Fraction | int) -> Number:
    """A literal for a new node."""
    fraction = Fraction(value)
    text = str(fraction.numerator) if fraction.denominator == 1 else f"({fraction})"
    return Number(fraction, text, 0)


def _is(node: Node, value: Fraction | int) -> bool:
    """True when the node is the literal ``value`` (``-1`` written as a negation included)."""
    if isinstance(node, Number):
        return node.value == value
    return isinstance(node, Negate) and isinstance(node.operand, Number) and -node.operand.value == value


def _call(node: Node, name: str, arity: int = 1) -> tuple[Node, ...] | None:
    """The arguments of a call of ``name`` with ``arity`` arguments, else None."""
    if isinstance(node, Call) and node.name == name and len(node.args) == arity:
        return node.args
    return None


def _added_pair(node: Node) -> tuple[Node, Node] | None:
    """``a + b`` (two terms, neither subtracted) as its two terms."""
    if isinstance(node, Sum) and len(node.terms) == 2 and not node.terms[1][0]:
        return node.terms[0][1], node.terms[1][1]
    return None


def _one_plus(node: Node) -> Node | None:
    """``u`` of ``1 + u`` or ``u + 1``."""
    pair = _added_pair(node)
    if pair is None:
        return None
    first, second = pair
    if _is(first, 1):
        return second
    return first if _is(second, 1) else None


def _negated(node: Node) -> Node:
    """``-u``, with a double negation removed."""
    return node.operand if isinstance(node, Negate) else Negate(node, 0)


def _square_root_of(node: Node) -> Node | None:
    """``u`` of ``u**2`` or ``u*u``; for a positive literal c, its square root."""
    if isinstance(node, Power) and _is(node.exponent, 2):
        return node.base
    if (
        isinstance(node, Product)
        and len(node.factors) == 2
        and not node.factors[1][0]
        and node_text(node.factors[0][1]) == node_text(node.factors[1][1])
    ):
        return node.factors[0][1]
    if isinstance(node, Number) and node.value > 0:
        root = _exact_square_root(node.value)
        return _number(root) if root is not None else Call("sqrt", (node,), 0)
    return None


def _exact_square_root(value: Fraction) -> Fraction | None:
    """The rational square root of a rational, when it has one."""
    top, bottom = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if top * top == value.numerator and bottom * bottom == value.denominator:
        return Fraction(top, bottom)
    return None


def _softplus(node: Node) -> Node | None:
    """log(1 + exp(u)) -> softplus(u)."""
    (argument,) = _call(node, "log") or (None,)
    inner = _one_plus(argument) if argument is not None else None
    exp_args = _call(inner, "exp") if inner is not None else None
    return Call("softplus", exp_args, 0) if exp_args else None


def _log1p(node: Node) -> Node | None:
    """log(1 + u) -> log1p(u)."""
    (argument,) = _call(node, "log") or (None,)
    inner = _one_plus(argument) if argument is not None else None
    return Call("log1p", (inner,), 0) if inner is not None else None


def _expm1(node: Node) -> Node | None:
    """exp(u) - 1 (or -1 + exp(u)) -> expm1(u)."""
    if not isinstance(node, Sum) or len(node.terms) != 2:
        return None
    (_, first), (subtracted, second) = node.terms
    if subtracted and _is(second, 1):
        exp_args = _call(first, "exp")
    elif not subtracted and _is(first, -1):
        exp_args = _call(second, "exp")
    else:
        return None
    return Call("expm1", exp_args, 0) if exp_args else None


def _sigmoid(node: Node) -> Node | None:
    """1/(1 + exp(-u)) (or (1 + exp(-u))**-1) -> sigmoid(u)."""
    if (
        isinstance(node, Product)
        and len(node.factors) == 2
        and _is(node.factors[0][1], 1)
        and node.factors[1][0]
    ):
        denominator = node.factors[1][1]
    elif isinstance(node, Power) and _is(node.exponent, -1):
        denominator = node.base
    else:
        return None
    inner = _one_plus(denominator)
    exp_args = _call(inner, "exp") if inner is not None else None
    return Call("sigmoid", (_negated(exp_args[0]),), 0) if exp_args else None


def _logsigmoid(node: Node) -> Node | None:
    """log(sigmoid(u)) -> logsigmoid(u)."""
    (argument,) = _call(node, "log") or (None,)
    inner = _call(argument, "sigmoid") if argument is not None else None
    return Call("logsigmoid", inner, 0) if inner else None


def _hypot(node: Node) -> Node | None:
    """sqrt(u**2 + v**2) (also written with u*u, a positive constant, or **0.5) -> hypot(u, v)."""
    (argument,) = _call(node, "sqrt") or (None,)
    if argument is None and isinstance(node, Power) and _is(node.exponent, Fraction(1, 2)):
        argument = node.base
    pair = _added_pair(argument) if argument is not None else None
    if pair is None:
        return None
    roots = [_square_root_of(term) for term in pair]
    if roots[0] is None or roots[1] is None:
        return None
    return Call("hypot", (roots[0], roots[1]), 0)


def _logaddexp(node: Node) -> Node | None:
    """log(exp(a) + exp(b)) -> logaddexp(a, b)."""
    (argument,) = _call(node, "log") or (None,)
    pair = _added_pair(argument) if argument is not None else None
    if pair is None:
        return None
    first, second = (_call(term, "exp") for term in pair)
    return Call("logaddexp", (first[0], second[0]), 0) if first and second else None


#: The rewrites deriv tries, most specific first: log(1 + exp(u)) is softplus before it is log1p.
RULES: Final[tuple[Rule, ...]] = (
    Rule("log(1 + exp(u)) -> softplus(u)", _softplus),
    Rule("log(exp(a) + exp(b)) -> logaddexp(a, b)", _logaddexp),
    Rule("log(sigmoid(u)) -> logsigmoid(u)", _logsigmoid),
    Rule("log(1 + u) -> log1p(u)", _log1p),
    Rule("exp(u) - 1 -> expm1(u)", _expm1),
    Rule("1/(1 + exp(-u)) -> sigmoid(u)", _sigmoid),
    Rule("sqrt(u**2 + v**2) -> hypot(u, v)", _hypot),
)


def candidates(parsed: ParsedExpression) -> list[ParsedExpression]:
    """Each rewrite at one place, then all of them at once; distinct, each parsed back from its text."""
    texts: list[str] = []
    for node in post_order(parsed.tree):
        for rule in RULES:
            replacement = rule.apply(node)
            if replacement is not None:
                texts.append(node_text(_replaced(parsed.tree, node, replacement)))
    texts.append(node_text(_everywhere(parsed.tree)))
    seen = {parsed.text, node_text(parsed.tree)}
    found = []
    for text in texts:
        if text in seen:
            continue
        seen.add(text)
        try:
            found.append(parse_expression(text))
        except DerivError:
            continue
    return found


def _rebuilt(node: Node, change: Callable[[Node], Node]) -> Node:
    """The node with ``change`` applied to each child (the node itself kept when nothing changes)."""
    if isinstance(node, Negate):
        return Negate(change(node.operand), node.column)
    if isinstance(node, Sum):
        return Sum(tuple((flag, change(term)) for flag, term in node.terms), node.column)
    if isinstance(node, Product):
        return Product(tuple((flag, change(factor)) for flag, factor in node.factors), node.column)
    if isinstance(node, Power):
        return Power(change(node.base), change(node.exponent), node.column, node.text)
    if isinstance(node, Call):
        return Call(node.name, tuple(change(arg) for arg in node.args), node.column)
    return node


def _replaced(tree: Node, target: Node, replacement: Node) -> Node:
    """The tree with the one node ``target`` (by identity) replaced."""
    if tree is target:
        return replacement
    return _rebuilt(tree, lambda child: _replaced(child, target, replacement))


def _everywhere(tree: Node) -> Node:
    """Every rule applied wherever it matches, innermost first."""
    node = _rebuilt(tree, _everywhere)
    for rule in RULES:
        replacement = rule.apply(node)
        if replacement is not None:
            return replacement
    return node
