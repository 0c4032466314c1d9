"""Local error, as Herbie measures it, of every operation of the forward and the backward computation.

An operation's local error is its result computed in the dtype from correctly
rounded inputs, against its exact result rounded once: the bits that this
operation alone loses. Backward operations are run by torch's own backward
nodes, fed the correctly rounded exact incoming gradient and saved inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy
import torch

from derivcli.core.bits import mp
from derivcli.core.bits.operations import Arithmetic, Operation, operations, placeholder
from derivcli.core.numeric.translate import compile_tree
from derivcli.core.symbolic.build import node_expression
from derivcli.core.symbolic.exact import ValueStatus, evaluate_at, rounded_once, substituted
from derivcli.model.bits import Culprit, LossKind, Pass, bits_between
from derivcli.parsing.tree import Node, ParsedExpression, Variable
from derivcli.worker.cache import sized_cache


@dataclass(frozen=True, slots=True)
class Reference:
    """An exact value rounded once to the dtype; ``is_number`` is False for a true infinity."""

    exact: sympy.Expr
    rounded: float
    is_number: bool


@dataclass(frozen=True, slots=True)
class LocalError:
    """The bits one operation loses on its own, and why."""

    culprit: Culprit

    @property
    def bits(self) -> float:
        """The operation's local error in bits."""
        return self.culprit.local_bits


class _Exact:
    """Exact values of subexpressions at one point, each computed once."""

    def __init__(
        self, symbols: Mapping[str, sympy.Symbol], point: Mapping[sympy.Symbol, sympy.Expr], dtype: str
    ):
        self.symbols = symbols
        self.point = dict(point)
        self.dtype = dtype
        self.known: dict[Node, Reference | None] = {}

    def of(self, node: Node) -> Reference | None:
        """The node's exact value at the point, rounded once; None when it is not a real number."""
        # Keyed by value: the ``a + b`` operand of ``a + b + c`` is rebuilt, equal but not the same object.
        if node not in self.known:
            self.known[node] = reference(
                substituted(node_expression(node, self.symbols), self.point), self.dtype
            )
        return self.known[node]


def reference(exact: sympy.Expr, dtype: str) -> Reference | None:
    """An exact constant rounded once to the dtype, or None when it is not a real number.

    mpmath first (a tenth of the cost, precision raised until the rounding
    settles); SymPy's evalf where mpmath cannot say.
    """
    fast = mp.reference(exact, {}, dtype)
    if fast is not None:
        return Reference(exact, *fast)
    value = evaluate_at(exact, {})
    if value.status in (ValueStatus.FINITE, ValueStatus.OVERFLOW):
        return Reference(exact, rounded_once(exact, dtype), True)
    if value.status is ValueStatus.INFINITE and not math.isnan(value.value):
        return Reference(exact, value.value, False)
    return None


def local_errors(
    parsed: ParsedExpression,
    *,
    symbols: Mapping[str, sympy.Symbol],
    point: Mapping[sympy.Symbol, sympy.Expr],
    dtype: str,
    device: str,
    wrt: str | None,
) -> list[LocalError]:
    """The local error of each forward operation, then of each backward one (when ``wrt`` is given).

    ``point`` is the point autograd ran at (already a float of the dtype),
    as exact rationals.
    """
    exact = _Exact(symbols, point, dtype)
    found: list[LocalError] = []
    steps = operations(parsed)
    for operation in steps:
        measured = _forward(operation, exact, dtype=dtype, device=device)
        if measured is not None:
            found.append(measured)
    if wrt is not None:
        found.extend(_backward(parsed, steps, exact, dtype=dtype, device=device, wrt=wrt))
    return found


def worst(errors: Sequence[LocalError]) -> LocalError | None:
    """The operation with the largest local error; the first computed wins a tie."""
    best: LocalError | None = None
    for error in errors:
        if best is None or error.bits > best.bits:
            best = error
    return best


def _leaves(
    operation: Operation, exact: _Exact, *, dtype: str, device: str
) -> tuple[dict[str, torch.Tensor], list[Reference]] | None:
    """The operands rounded once to the dtype, as leaf tensors (None when one is not a real number)."""
    references = [exact.of(operand) for operand in operation.operands]
    if any(item is None for item in references):
        return None
    present = [item for item in references if item is not None]
    leaves = {
        placeholder(index): torch.tensor(
            item.rounded, dtype=getattr(torch, dtype), device=device, requires_grad=True
        )
        for index, item in enumerate(present)
    }
    return leaves, present


def _forward(operation: Operation, exact: _Exact, *, dtype: str, device: str) -> LocalError | None:
    """One forward operation, computed from correctly rounded operands, against its exact value."""
    target = exact.of(operation.node)
    leaves = _leaves(operation, exact, dtype=dtype, device=device)
    if target is None or leaves is None:
        return None
    env, inputs = leaves
    with torch.enable_grad():
        result = compile_tree(operation.alone)(env)
    computed = float(result.detach())
    bits = bits_between(computed, target.rounded, dtype, exact_is_number=target.is_number)
    kind = classify(
        operation.arithmetic,
        inputs=[item.rounded for item in inputs],
        computed=computed,
        target=target,
        dtype=dtype,
    )
    node = result.grad_fn.name() if result.grad_fn is not None else "none"
    return LocalError(Culprit(operation.text, kind, node, bits, Pass.FORWARD))


@sized_cache(lambda operation: len(operation.alone.text))
def _partials(operation: Operation) -> tuple[sympy.Expr, tuple[sympy.Expr, ...], dict[str, sympy.Symbol]]:
    """The operation alone in SymPy, its derivative by each operand, and the placeholders' symbols."""
    names = operation.alone.variables
    symbols = {name: sympy.Symbol(name, real=True) for name in names}
    expr = node_expression(operation.alone.tree, symbols)
    return expr, tuple(sympy.diff(expr, symbols[name]) for name in names), symbols


def _backward(
    parsed: ParsedExpression,
    steps: Sequence[Operation],
    exact: _Exact,
    *,
    dtype: str,
    device: str,
    wrt: str,
) -> list[LocalError]:
    """Each backward node fed the exact incoming gradient and inputs, rounded; then the sum at ``wrt``."""
    adjoints: dict[Node, sympy.Expr] = {parsed.tree: sympy.S.One}
    found: list[LocalError] = []
    contributions: list[sympy.Expr] = []
    for operation in reversed(steps):
        adjoint = adjoints.get(operation.node)
        leaves = _leaves(operation, exact, dtype=dtype, device=device)
        if adjoint is None or leaves is None:
            continue
        env, inputs = leaves
        _, partials, symbols = _partials(operation)
        at_operands = {symbols[placeholder(index)]: item.exact for index, item in enumerate(inputs)}
        incoming = reference(adjoint, dtype)
        if incoming is None:
            continue
        with torch.enable_grad():
            result = compile_tree(operation.alone)(env)
            if result.grad_fn is None:
                continue
            torch.autograd.backward(result, torch.full_like(result, incoming.rounded))
        node = result.grad_fn.name()
        largest: LocalError | None = None
        for index, operand in enumerate(operation.operands):
            contribution = adjoint * substituted(partials[index], at_operands)
            if isinstance(operand, Variable):
                if operand.name == wrt:
                    contributions.append(contribution)
            else:
                adjoints[operand] = contribution
            target = reference(contribution, dtype)
            gradient = env[placeholder(index)].grad
            if target is None or gradient is None:
                continue
            computed = float(gradient)
            bits = bits_between(computed, target.rounded, dtype, exact_is_number=target.is_number)
            saved = [incoming.rounded, *(item.rounded for item in inputs), float(result.detach())]
            kind = classify(Arithmetic.MULTIPLY, inputs=saved, computed=computed, target=target, dtype=dtype)
            if largest is None or bits > largest.bits:
                largest = LocalError(Culprit(operation.text, kind, node, bits, Pass.BACKWARD))
        if largest is not None:
            found.append(largest)
    if len(contributions) > 1:
        summed = _gradient_sum(contributions, dtype=dtype, device=device, wrt=wrt)
        if summed is not None:
            found.append(summed)
    return found


def _gradient_sum(contributions: list[sympy.Expr], *, dtype: str, device: str, wrt: str) -> LocalError | None:
    """Where a variable is used more than once, autograd adds the gradients that reach it."""
    parts = [reference(item, dtype) for item in contributions]
    target = reference(sympy.Add(*contributions), dtype)
    if target is None or any(item is None for item in parts):
        return None
    rounded = [item.rounded for item in parts if item is not None]
    total = torch.tensor(rounded[0], dtype=getattr(torch, dtype), device=device)
    for item in rounded[1:]:
        total = total + item
    computed = float(total)
    bits = bits_between(computed, target.rounded, dtype, exact_is_number=target.is_number)
    kind = classify(Arithmetic.ADD, inputs=rounded, computed=computed, target=target, dtype=dtype)
    return LocalError(
        Culprit(f"the sum of the gradients reaching {wrt}", kind, "AccumulateGrad", bits, Pass.BACKWARD)
    )


def classify(
    arithmetic: Arithmetic, *, inputs: Sequence[float], computed: float, target: Reference, dtype: str
) -> LossKind:
    """Why an operation's result differs from its exact value: the failure its inputs and result show."""
    infinite = [value for value in inputs if math.isinf(value)]
    if math.isnan(computed):
        if infinite and any(value == 0 for value in inputs) and arithmetic is not Arithmetic.ADD:
            return LossKind.ZERO_TIMES_INF
        if arithmetic is Arithmetic.DIVIDE and len(infinite) > 1:
            return LossKind.INF_OVER_INF
        if arithmetic is Arithmetic.ADD and len(infinite) > 1:
            return LossKind.INF_MINUS_INF
        if infinite:
            return LossKind.OVERFLOW
        return LossKind.DOMAIN
    if math.isinf(computed) and target.is_number:
        return LossKind.OVERFLOW
    smallest_normal = 2.2250738585072014e-308 if dtype == "float64" else 1.1754943508222875e-38
    exact_value = target.rounded
    if exact_value != 0 and abs(computed) < smallest_normal and abs(exact_value) != abs(computed):
        return LossKind.UNDERFLOW
    finite = [abs(value) for value in inputs if math.isfinite(value)]
    if arithmetic is Arithmetic.ADD and finite and abs(exact_value) < max(finite) / 2:
        return LossKind.CANCELLATION
    return LossKind.ROUNDING
