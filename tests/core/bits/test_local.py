"""Local errors and their kinds: the operation that loses the bits, forward or backward."""

from __future__ import annotations

import math

import pytest
import sympy

from derivcli.core.bits.local import Reference, classify, local_errors, reference, worst
from derivcli.core.bits.operations import Arithmetic
from derivcli.core.symbolic.exact import rational_of_float, to_dtype
from derivcli.model.bits import LossKind, Pass
from derivcli.parsing.grammar import parse_expression

X = sympy.Symbol("x", real=True)


def _worst(text: str, at: str, dtype: str) -> tuple[str, str, str, str, float]:
    point = to_dtype(sympy.Rational(at), dtype)
    errors = local_errors(
        parse_expression(text),
        symbols={"x": X},
        point={X: rational_of_float(point)},
        dtype=dtype,
        device="cpu",
        wrt="x",
    )
    found = worst(errors)
    assert found is not None
    culprit = found.culprit
    return (
        culprit.operation,
        culprit.kind.value,
        culprit.node,
        culprit.pass_.value,
        round(culprit.local_bits, 1),
    )


def test_cancellation_of_exp_minus_one() -> None:
    assert _worst("(exp(x)-1)/x", "1/10000", "float32") == (
        "exp(x) - 1",
        "cancellation",
        "SubBackward0",
        "forward",
        10.6,
    )


def test_overflow_of_exp_is_found_before_what_it_spoils() -> None:
    assert _worst("log(1+exp(x))", "100", "float32") == (
        "exp(x)",
        "overflow",
        "ExpBackward0",
        "forward",
        32.0,
    )


def test_overflow_of_a_square() -> None:
    assert _worst("sqrt(x*x+1)", "100000000000000000000", "float32")[:3] == (
        "x*x",
        "overflow",
        "MulBackward0",
    )


def test_the_sum_of_gradients_can_cancel_too() -> None:
    # expm1 fixes the value; the derivative exp(x)/x - expm1(x)/x**2 still cancels where autograd adds them.
    operation, kind, node, pass_, bits = _worst("expm1(x)/x", "1/10000", "float32")
    assert (operation, kind, node, pass_) == (
        "the sum of the gradients reaching x",
        "cancellation",
        "AccumulateGrad",
        "backward",
    )
    assert bits == pytest.approx(9.1, abs=0.2)


def test_exact_arithmetic_has_no_local_error() -> None:
    assert _worst("x**2", "3", "float64")[-1] == 0.0


def test_backward_operations_are_listed_too() -> None:
    errors = local_errors(
        parse_expression("x*sin(x)"),
        symbols={"x": X},
        point={X: sympy.Integer(2)},
        dtype="float64",
        device="cpu",
        wrt="x",
    )
    passes = [error.culprit.pass_ for error in errors]
    assert passes.count(Pass.FORWARD) == 2
    assert Pass.BACKWARD in passes
    nodes = {error.culprit.node for error in errors}
    assert {"MulBackward0", "SinBackward0"} <= nodes


def _target(value: float, *, is_number: bool = True) -> Reference:
    return Reference(sympy.Float(value), value, is_number)


@pytest.mark.parametrize(
    ("arithmetic", "inputs", "computed", "kind"),
    [
        (Arithmetic.MULTIPLY, [0.0, math.inf], math.nan, LossKind.ZERO_TIMES_INF),
        (Arithmetic.DIVIDE, [math.inf, math.inf], math.nan, LossKind.INF_OVER_INF),
        (Arithmetic.ADD, [math.inf, -math.inf], math.nan, LossKind.INF_MINUS_INF),
        (Arithmetic.OTHER, [-1e-30], math.nan, LossKind.DOMAIN),
        (Arithmetic.OTHER, [100.0], math.inf, LossKind.OVERFLOW),
        (Arithmetic.MULTIPLY, [1e-30, 1e-30], 0.0, LossKind.UNDERFLOW),
        (Arithmetic.ADD, [1.0001, -1.0], 1.0001e-4, LossKind.CANCELLATION),
        (Arithmetic.ADD, [1.0, 2.0], 3.0, LossKind.ROUNDING),
    ],
)
def test_kinds(arithmetic: Arithmetic, inputs: list[float], computed: float, kind: LossKind) -> None:
    target = _target(1e-60 if kind is LossKind.UNDERFLOW else 1e-4 if kind is LossKind.CANCELLATION else 3.0)
    assert classify(arithmetic, inputs=inputs, computed=computed, target=target, dtype="float32") is kind


def test_reference_rounds_once_and_tells_a_pole_from_an_overflow() -> None:
    found = reference(sympy.exp(100), "float32")
    assert found is not None
    assert (found.rounded, found.is_number) == (math.inf, True)
    assert reference(sympy.sqrt(-1), "float64") is None
    low = reference(sympy.Rational(1, 3), "float32")
    assert low is not None
    assert low.rounded == 0.3333333432674408
