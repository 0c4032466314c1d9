"""The operations of an expression as written, one by one, in the order torch computes them.

Each operation is the subexpression it computes (``a + b`` of ``a + b + c``
included) and the same operation alone, its operands replaced by
placeholders, so that it can be run on correctly rounded inputs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

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
    node_text,
    post_order,
)
from derivcli.worker.cache import sized_cache

#: Functions of two or more arguments that torch applies pairwise, left to right.
PAIRWISE: Final = frozenset({"min", "max", "atan2", "hypot", "logaddexp"})


class Arithmetic(enum.Enum):
    """What an operation does, as far as naming its failure needs (0*inf, inf/inf, inf-inf)."""

    ADD = "add"
    MULTIPLY = "multiply"
    DIVIDE = "divide"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Operation:
    """One torch operation of the expression: what it computes, its operands, and itself alone."""

    node: Node
    operands: tuple[Node, ...]
    alone: ParsedExpression
    arithmetic: Arithmetic

    @property
    def text(self) -> str:
        """The subexpression it computes, as written."""
        return node_text(self.node)


def placeholder(index: int) -> str:
    """The name standing for an operation's ``index``-th operand in :attr:`Operation.alone`."""
    return f"_{index}"


@sized_cache(lambda parsed: len(parsed.text))
def operations(parsed: ParsedExpression) -> tuple[Operation, ...]:
    """Every operation on variables, each after the operations that compute its operands."""
    found: list[Operation] = []
    for node in post_order(parsed.tree):
        if has_variable(node) and not isinstance(node, Variable):
            found.extend(_operations_of(node))
    return tuple(found)


def _operations_of(node: Node) -> list[Operation]:
    """The operations that compute one node (a chain ``a + b - c`` is two)."""
    if isinstance(node, Negate):
        return [_operation(node, [node.operand], lambda parts: Negate(parts[0], 0), Arithmetic.OTHER)]
    if isinstance(node, Sum):
        return _chain(node.terms, lambda items: Sum(items, node.column), Arithmetic.ADD)
    if isinstance(node, Product):
        return _chain(node.factors, lambda items: Product(items, node.column), Arithmetic.MULTIPLY)
    if isinstance(node, Power):
        return [
            _operation(node, [node.base, node.exponent], lambda parts: Power(parts[0], parts[1], 0, ""), None)
        ]
    assert isinstance(node, Call)
    if node.name in PAIRWISE and len(node.args) > 2:
        operations_ = []
        for count in range(2, len(node.args) + 1):
            left: Node = node.args[0] if count == 2 else Call(node.name, node.args[: count - 1], node.column)
            whole = node if count == len(node.args) else Call(node.name, node.args[:count], node.column)
            operations_.append(
                _operation(whole, [left, node.args[count - 1]], lambda parts: Call(node.name, parts, 0), None)
            )
        return operations_
    return [_operation(node, list(node.args), lambda parts: Call(node.name, parts, 0), None)]


Items = tuple[tuple[bool, Node], ...]


def _chain(items: Items, make: Callable[[Items], Node], arithmetic: Arithmetic) -> list[Operation]:
    """``a + b - c`` as ``a + b``, then ``(a + b) - c``: the steps torch takes, left to right."""
    steps = []
    for count in range(2, len(items) + 1):
        left: Node = items[0][1] if count == 2 else make(items[: count - 1])
        flag, right = items[count - 1]
        whole = make(items[:count])
        kind = Arithmetic.DIVIDE if (flag and arithmetic is Arithmetic.MULTIPLY) else arithmetic
        steps.append(_operation(whole, [left, right], _pair(make, flag), kind))
    return [step for step in steps if has_variable(step.node)]


def _pair(make: Callable[[Items], Node], flag: bool) -> Callable[[tuple[Node, ...]], Node]:
    """Rebuild one step of a chain from its two parts."""
    return lambda parts: make(((False, parts[0]), (flag, parts[1])))


def _operation(
    node: Node,
    inputs: list[Node],
    rebuild: Callable[[tuple[Node, ...]], Node],
    arithmetic: Arithmetic | None,
) -> Operation:
    """The operation computing ``node`` from ``inputs``; operands without variables stay constants."""
    operands: list[Node] = []
    parts: list[Node] = []
    for item in inputs:
        if has_variable(item):
            parts.append(Variable(placeholder(len(operands)), 0))
            operands.append(item)
        else:
            parts.append(item)
    alone_tree = rebuild(tuple(parts))
    names = tuple(placeholder(index) for index in range(len(operands)))
    return Operation(
        node=node,
        operands=tuple(operands),
        alone=ParsedExpression(text=node_text(alone_tree), tree=alone_tree, variables=names),
        arithmetic=arithmetic or Arithmetic.OTHER,
    )
