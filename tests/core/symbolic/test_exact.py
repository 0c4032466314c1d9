"""Exact values at points, their status, and rounding once to a dtype."""

from __future__ import annotations

import math

import pytest
import sympy
from sympy.codegen.cfunctions import hypot

from derivcli.core.symbolic import exact
from derivcli.core.symbolic.build import SymbolicExpression, differentiate
from derivcli.core.symbolic.build import build as build_expression
from derivcli.core.symbolic.exact import (
    ValueStatus,
    evalf,
    evaluate_at,
    point_value,
    round_to_bits,
    rounded_once,
    to_dtype,
)
from derivcli.errors import DerivError
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


def build(text: str) -> SymbolicExpression:
    return build_expression(parse_expression(text))


@pytest.mark.parametrize(
    ("text", "at", "exact", "value"),
    [
        ("cos(x)", sympy.pi / 4, "sqrt(2)/2", math.sqrt(2) / 2),
        ("12*x + 2", sympy.Integer(3), "38", 38.0),
        ("x/3", sympy.Integer(1), "1/3", 1 / 3),
        ("exp(x)", sympy.Integer(1), "E", math.e),
    ],
)
def test_exact_values(text: str, at: sympy.Expr, exact: str, value: float) -> None:
    built = build(text)
    result = evaluate_at(built.expr, {built.symbols["x"]: at})
    assert (result.exact, result.value, result.status) == (exact, value, ValueStatus.FINITE)


@pytest.mark.parametrize(
    ("text", "at", "status"),
    [
        ("1/x", 0, ValueStatus.INFINITE),
        ("sqrt(x)", -1, ValueStatus.NOT_REAL),
        ("heaviside(x)", None, None),
    ],
)
def test_non_finite_values(text: str, at: int | None, status: ValueStatus | None) -> None:
    built = build(text)
    x = built.symbols["x"]
    if at is None:
        derivative = differentiate(built.expr, x)
        result = evaluate_at(derivative, {x: sympy.Integer(0)})
        assert result.status is ValueStatus.DIRAC_DELTA
        return
    result = evaluate_at(built.expr, {x: sympy.Integer(at)})
    assert result.status is status
    assert math.isnan(result.value)


def test_huge_exponent_is_evaluated_in_high_precision() -> None:
    built = build("x**(10**10)")
    x = built.symbols["x"]
    result = evaluate_at(built.expr, {x: sympy.Integer(1)})
    assert (result.exact, result.value) == (None, 1.0)
    overflow = evaluate_at(built.expr, {x: sympy.Integer(3)})
    assert overflow.value == math.inf


def test_round_to_bits_rounds_once() -> None:
    assert round_to_bits(sympy.pi / 4, 53) == math.pi / 4
    assert round_to_bits(sympy.pi / 4, 24) == 0.7853981852531433
    assert round_to_bits(sympy.Rational(1, 10), 53) == 0.1


@pytest.mark.parametrize(
    ("value", "bits", "expected"),
    [
        (sympy.Rational(-1463, 1000), 53, -1.463),
        (sympy.Rational(-1463, 1000), 24, -1.4630000591278076),
        # Halfway between the two smallest subnormals but one: ties go to the even one, 2**-1073.
        (sympy.Rational(3, 2**1075), 53, 2.0**-1073),
        (sympy.Integer(10) ** 400, 53, math.inf),
        (-(sympy.Integer(10) ** 400), 53, -math.inf),
        (sympy.Integer(2**53 + 1), 53, 2.0**53),
    ],
)
def test_rationals_are_rounded_once_from_p_over_q(value: sympy.Rational, bits: int, expected: float) -> None:
    assert round_to_bits(value, bits) == expected


@pytest.mark.parametrize(
    ("spec", "message", "column"),
    [
        ("x=1/(1-1)", "division by zero in --at 'x=1/(1-1)'", 6),
        ("x=log(0)", "x=log(0) is not a finite number in --at 'x=log(0)'", 3),
        ("x=sqrt(-1)", "x=sqrt(-1) is not a real number in --at 'x=sqrt(-1)'", 3),
        ("x=10**400", "x=10**400 overflows float64 in --at 'x=10**400'", 3),
        ("y=1, x= 2*pi*10**308", "x=2*pi*10**308 overflows float64 in --at 'y=1, x= 2*pi*10**308'", 9),
    ],
)
def test_point_value_checks(spec: str, message: str, column: int) -> None:
    assignment = parse_point(spec).assignments[-1]
    with pytest.raises(DerivError) as caught:
        point_value(assignment, name="x")
    assert (caught.value.message, caught.value.column, caught.value.source) == (message, column, spec)


def test_to_dtype() -> None:
    assert to_dtype(sympy.Rational(1, 3), "float32") == 0.3333333432674408
    assert to_dtype(sympy.Integer(10) ** 39, "float32") == math.inf
    assert to_dtype(sympy.Rational(1, 10**50), "float32") == 0.0
    assert to_dtype(sympy.Rational(1, 10**50), "float64") == 1e-50


@pytest.mark.parametrize(
    ("text", "digits", "value"),
    [
        # evalf at 30 digits loses every digit of these; the correctly rounded values are known (x**3/6 for
        # sinh(x) - x at x = 10**-digits, and so on).
        ("exp(x) - 1", 300, 1e-300),
        ("x*exp(x) + exp(x) - 1", 300, 2e-300),
        ("log(1 + x) + x", 300, 2e-300),
        ("sinh(x) - x", 100, 1.6666666666666667e-301),
        ("asin(x) - x", 100, 1.6666666666666667e-301),
        ("atanh(x) - x", 100, 3.3333333333333334e-301),
        ("cot(x) - 1/x", 100, -3.3333333333333336e-101),
        ("acos(x) - pi/2 + x", 100, -1.6666666666666667e-301),
        ("cosh(x) - 1 + x", 200, 1e-200),
    ],
)
def test_values_lost_to_cancellation_are_correctly_rounded(text: str, digits: int, value: float) -> None:
    built = build(text)
    result = evaluate_at(built.expr, {built.symbols["x"]: sympy.Rational(1, 10**digits)})
    assert (result.value, result.status) == (value, ValueStatus.FINITE)


def test_cancellation_is_retried_with_more_digits() -> None:
    # log(1 + 10**-300) is 0 at 30 working digits, and SymPy then divides by it.
    base = 1 + sympy.Rational(1, 10**300)
    value = evalf(sympy.log(2) / sympy.log(base))
    assert str(value) == "6.93147180559945309417232121458e+299"


def test_an_exact_value_of_millions_of_digits_is_kept_in_30() -> None:
    x = sympy.Symbol("x")
    result = evaluate_at(x**9999, {x: sympy.Integer(10) ** 300})
    assert (result.exact, result.value) == (None, math.inf)
    assert result.status is ValueStatus.OVERFLOW


def test_a_variable_exponent_that_would_build_a_huge_power_is_evaluated_in_high_precision() -> None:
    # 2**x at 1e20 has 10**20 bits exactly: it used to run until the time budget ended.
    built = build_expression(parse_expression("2**x"))
    value = evaluate_at(built.expr, {built.symbols["x"]: sympy.Integer(10) ** 20})
    assert (value.exact, value.status) == (None, ValueStatus.OVERFLOW)
    small = evaluate_at(built.expr, {built.symbols["x"]: sympy.Integer(10)})
    assert (small.exact, small.value) == ("1024", 1024.0)


def test_rounded_once_raises_precision_until_the_rounding_settles() -> None:
    # Within 1e-40 of halfway between two float32 values: 30 digits cannot tell which way it rounds.
    halfway = sympy.Rational(1) + sympy.Rational(1, 2**24)
    above = halfway + sympy.exp(-100)
    below = halfway - sympy.exp(-100)
    assert rounded_once(above, "float32") == 1.0000001192092896
    assert rounded_once(below, "float32") == 1.0
    assert rounded_once(sympy.Rational(1, 3), "float64") == 1 / 3


def test_a_real_only_function_of_a_complex_value_is_undefined() -> None:
    # SymPy hands hypot's mpmath evaluation a complex number (acos(2)); that is no value, not a crash.
    value = evaluate_at(hypot(sympy.acos(sympy.Integer(2)), 1), {})
    assert (value.status, math.isnan(value.value)) == (ValueStatus.UNDEFINED, True)


def test_the_powers_to_watch_are_found_once_per_expression() -> None:
    # A batch evaluates one expression at many points: the walk over its powers is done once.
    built = build("x**3 + 2**x + x**20000")
    x = built.symbols["x"]
    assert exact._powers_to_watch(built.expr) == (True, (x,))
    assert exact._powers_to_watch(build("x**3 + 2**x").expr) == (False, (x,))
    before = len(exact._powers_to_watch.cache)  # type: ignore[attr-defined]
    small = build("x**3 + 5*x")
    for numerator in range(1, 30):
        evaluate_at(small.expr, {small.symbols["x"]: sympy.Rational(numerator, 7)})
    assert len(exact._powers_to_watch.cache) == before + 1  # type: ignore[attr-defined]


def test_an_exact_zero_beside_a_power_of_a_long_number_stays_exact() -> None:
    # x**200 at 1e-300 has 200,000 bits; times y - 1 at y = 1 it is exactly 0, and says so.
    built = build("x**200*(y - 1)")
    point = {built.symbols["x"]: exact.rational_of_float(1e-300), built.symbols["y"]: sympy.Integer(1)}
    value = evaluate_at(built.expr, point)
    assert (value.exact, value.value, value.status) == ("0", 0.0, ValueStatus.FINITE)
