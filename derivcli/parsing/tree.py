"""The immutable parse tree: its node types, and printing a tree back as text.

Nothing here parses; :mod:`derivcli.parsing.grammar` builds these trees and the
engines read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, TypeAlias


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric literal, kept exact."""

    value: Fraction
    text: str
    column: int


@dataclass(frozen=True, slots=True)
class Constant:
    """A named constant: ``pi`` or ``E``."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Variable:
    """A variable (every variable is real)."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    operand: Node
    column: int


@dataclass(frozen=True, slots=True)
class Sum:
    """``a + b - c``: each term with a flag saying whether it is subtracted."""

    terms: tuple[tuple[bool, Node], ...]
    column: int


@dataclass(frozen=True, slots=True)
class Product:
    """``a * b / c``: each factor with a flag saying whether it divides."""

    factors: tuple[tuple[bool, Node], ...]
    column: int


@dataclass(frozen=True, slots=True)
class Power:
    """``base ** exponent`` (also written ``base ^ exponent``)."""

    base: Node
    exponent: Node
    column: int
    text: str


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a known function."""

    name: str
    args: tuple[Node, ...]
    column: int


Node: TypeAlias = Number | Constant | Variable | Negate | Sum | Product | Power | Call


@dataclass(frozen=True, slots=True)
class ParsedExpression:
    """An expression as typed and as parsed; variables in order of first appearance."""

    text: str
    tree: Node
    variables: tuple[str, ...]

    def __hash__(self) -> int:
        """The hash of the text: the tree follows from it, and hashing the tree costs a walk of it."""
        # Caches of a batch key on parsed expressions for every line; equal ones have equal texts.
        return hash((self.text, self.variables))


#: Binding strength of each node type when printed: higher binds tighter.
_PRECEDENCE: Final[Mapping[type, int]] = {Sum: 1, Product: 2, Negate: 3, Power: 4}


def node_text(node: Node) -> str:
    """Print a parse tree back as an expression (``2x`` as ``2*x``, with only the parentheses it needs)."""
    if isinstance(node, Number):
        return node.text
    if isinstance(node, (Constant, Variable)):
        return node.name
    if isinstance(node, Call):
        return f"{node.name}({', '.join(node_text(arg) for arg in node.args)})"
    if isinstance(node, Negate):
        return f"-{_wrapped(node.operand, tighter_than=2)}"
    if isinstance(node, Power):
        # Powers are right-associative: a power as the base needs parentheses, as the exponent not.
        return f"{_wrapped(node.base, tighter_than=4)}**{_wrapped(node.exponent, tighter_than=2)}"
    # A sum inside a sum (or a product inside a product) was parenthesised: keep it so.
    if isinstance(node, Sum):
        pieces = [_wrapped(node.terms[0][1], tighter_than=1)]
        for negative, term in node.terms[1:]:
            pieces.append(f" {'-' if negative else '+'} {_wrapped(term, tighter_than=1)}")
        return "".join(pieces)
    pieces = [_wrapped(node.factors[0][1], tighter_than=2)]
    for divide, factor in node.factors[1:]:
        pieces.append(f"{'/' if divide else '*'}{_wrapped(factor, tighter_than=2)}")
    return "".join(pieces)


def _wrapped(node: Node, *, tighter_than: int) -> str:
    """A child's text, in parentheses unless it binds tighter than ``tighter_than``."""
    text = node_text(node)
    return text if _PRECEDENCE.get(type(node), 5) > tighter_than else f"({text})"


def has_variable(node: Node) -> bool:
    """True when the subtree mentions a variable."""
    if isinstance(node, Variable):
        return True
    if isinstance(node, Negate):
        return has_variable(node.operand)
    if isinstance(node, (Sum, Product)):
        items = node.terms if isinstance(node, Sum) else node.factors
        return any(has_variable(item) for _, item in items)
    if isinstance(node, Power):
        return has_variable(node.base) or has_variable(node.exponent)
    if isinstance(node, Call):
        return any(has_variable(arg) for arg in node.args)
    return False


def post_order(node: Node) -> list[Node]:
    """The tree's nodes, each after the nodes inside it."""
    ordered: list[Node] = []
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, expanded = stack.pop()
        if expanded:
            ordered.append(current)
            continue
        stack.append((current, True))
        stack.extend((child, False) for child in reversed(children(current)))
    return ordered


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly inside ``node``."""
    if isinstance(node, Negate):
        return (node.operand,)
    if isinstance(node, Sum):
        return tuple(term for _, term in node.terms)
    if isinstance(node, Product):
        return tuple(factor for _, factor in node.factors)
    if isinstance(node, Power):
        return (node.base, node.exponent)
    if isinstance(node, Call):
        return node.args
    return ()
