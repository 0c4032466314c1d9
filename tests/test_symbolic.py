"""The symbolic side: building, differentiating, exact values, special points."""

from __future__ import annotations

import math

import pytest
import sympy

from derivcli.core import symbolic
from derivcli.core.symbolic import Finding, ValueStatus
from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


def build(text: str) -> symbolic.SymbolicExpression:
    return symbolic.build(parse_expression(text))


def test_build_uses_real_symbols() -> None:
    built = build("sqrt(x**2)")
    assert built.symbols["x"].is_real
    assert built.expr == sympy.Abs(built.symbols["x"])


def test_build_is_exact() -> None:
    assert build("0.1 + 0.2").expr == sympy.Rational(3, 10)


@pytest.mark.parametrize(
    "text", ["9**9**9", "10**10**10", "2**2**2**2**2**2**2", "sqrt(2)**(10**10)", "(1/3)**1000000"]
)
def test_gigantic_constant_powers_are_refused(text: str) -> None:
    with pytest.raises(DerivError) as caught:
        build(text)
    assert caught.value.kind is ErrorKind.TOO_LARGE
    assert "too large to compute exactly" in caught.value.message


def test_large_but_reasonable_powers_are_exact() -> None:
    assert build("2**1000").expr == sympy.Integer(2) ** 1000


def test_derivative_and_display_form() -> None:
    built = build("6*x**2+2*x+4")
    derivative = symbolic.differentiate(built.expr, built.symbols["x"])
    assert str(symbolic.display_form(derivative)) == "12*x + 2"


def test_display_form_is_never_longer_than_diff() -> None:
    built = build("sin(x)*exp(-x**2)/(1+x**2)")
    derivative = symbolic.differentiate(built.expr, built.symbols["x"])
    shown = symbolic.display_form(derivative)
    assert len(str(shown)) < len(str(derivative))
    assert sympy.simplify(shown - derivative) == 0


def test_simplify_within_budget() -> None:
    x = sympy.Symbol("x", real=True)
    assert symbolic.simplify_within(sympy.sin(x) ** 2 + sympy.cos(x) ** 2, 5.0) == 1


def test_simplify_out_of_time_returns_none() -> None:
    x = sympy.Symbol("x", real=True)
    nested = x
    for _ in range(30):
        nested = sympy.sin(nested + 1)
    assert symbolic.simplify_within(sympy.diff(nested, x), 0.05) is None


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
    result = symbolic.evaluate_at(built.expr, {built.symbols["x"]: at})
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
        derivative = symbolic.differentiate(built.expr, x)
        result = symbolic.evaluate_at(derivative, {x: sympy.Integer(0)})
        assert result.status is ValueStatus.DIRAC_DELTA
        return
    result = symbolic.evaluate_at(built.expr, {x: sympy.Integer(at)})
    assert result.status is status
    assert math.isnan(result.value)


def test_huge_exponent_is_evaluated_in_high_precision() -> None:
    built = build("x**(10**10)")
    x = built.symbols["x"]
    result = symbolic.evaluate_at(built.expr, {x: sympy.Integer(1)})
    assert (result.exact, result.value) == (None, 1.0)
    overflow = symbolic.evaluate_at(built.expr, {x: sympy.Integer(3)})
    assert overflow.value == math.inf


def test_round_to_bits_rounds_once() -> None:
    assert symbolic.round_to_bits(sympy.pi / 4, 53) == math.pi / 4
    assert symbolic.round_to_bits(sympy.pi / 4, 24) == 0.7853981852531433
    assert symbolic.round_to_bits(sympy.Rational(1, 10), 53) == 0.1


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
        symbolic.point_value(assignment, name="x")
    assert (caught.value.message, caught.value.column, caught.value.source) == (message, column, spec)


def test_to_dtype() -> None:
    assert symbolic.to_dtype(sympy.Rational(1, 3), "float32") == 0.3333333432674408
    assert symbolic.to_dtype(sympy.Integer(10) ** 39, "float32") == math.inf
    assert symbolic.to_dtype(sympy.Rational(1, 10**50), "float32") == 0.0
    assert symbolic.to_dtype(sympy.Rational(1, 10**50), "float64") == 1e-50


def analyse(text: str, at: int) -> tuple[Finding, ...]:
    built = build(text)
    x = built.symbols["x"]
    derivative = symbolic.differentiate(built.expr, x)
    return symbolic.analyse_point(built.expr, derivative, x, {x: sympy.Integer(at)})


def test_kinks_with_one_sided_derivatives() -> None:
    assert analyse("relu(x)", 0) == (Finding("kink", "relu", "x", 0.0, 1.0),)
    assert analyse("abs(x)", 0) == (Finding("kink", "abs", "x", -1.0, 1.0),)
    assert analyse("max(x, 2)", 2) == (Finding("kink", "max", "2, x", 0.0, 1.0),)
    assert analyse("abs(x - 1)", 1) == (Finding("kink", "abs", "x - 1", -1.0, 1.0),)


def test_smooth_points_have_no_findings() -> None:
    assert analyse("relu(x)", 1) == ()
    assert analyse("sin(x)", 0) == ()


def test_domain_findings() -> None:
    assert [f.kind for f in analyse("log(x)", 0)] == ["edge"]
    assert [f.kind for f in analyse("log(x)", -1)] == ["domain"]
    assert [f.kind for f in analyse("sqrt(x)", 0)] == ["steep"]
    assert [f.kind for f in analyse("asin(x)", 1)] == ["steep"]
    assert [f.kind for f in analyse("acosh(x)", 0)] == ["domain"]
    assert [f.kind for f in analyse("1/x", 0)] == ["pole"]
    assert [f.kind for f in analyse("heaviside(x)", 0)] == ["jump"]


def test_one_sided_derivatives_ignore_heaviside_at_zero() -> None:
    assert analyse("max(x, x**2)", 1) == (Finding("kink", "max", "x, x**2", 1.0, 2.0),)
    assert analyse("min(x, x**2)", 1) == (Finding("kink", "min", "x, x**2", 2.0, 1.0),)
    assert analyse("relu(x**2 - 1)", 1) == (Finding("kink", "relu", "x**2 - 1", 0.0, 2.0),)


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("log(x, 1)", "the base of a logarithm must be positive and not 1, got 1", 8),
        ("log(x, 0)", "the base of a logarithm must be positive and not 1, got 0", 8),
        ("log(x, -2)", "the base of a logarithm must be positive and not 1, got -2", 8),
        ("x/0", "division by zero", 3),
        ("x/(x - x)", "division by zero", 4),
        ("0**-1 + x", "division by zero (0 to a negative power)", 1),
    ],
)
def test_undefined_expressions_are_refused(text: str, message: str, column: int) -> None:
    with pytest.raises(DerivError) as caught:
        build(text)
    assert (caught.value.kind, caught.value.message, caught.value.column) == (
        ErrorKind.BAD_NUMBER,
        message,
        column,
    )


def test_display_form_does_not_expand_large_powers() -> None:
    built = build("(x+1)**20000")
    derivative = symbolic.differentiate(built.expr, built.symbols["x"])
    assert str(symbolic.display_form(derivative)) == "20000*(x + 1)**19999"


def test_one_sided_derivative_of_a_cancelling_sum_is_exactly_zero() -> None:
    built = build("abs(u - v) + u*v")
    u, v = built.symbols["u"], built.symbols["v"]
    derivative = symbolic.differentiate(built.expr, v)
    findings = symbolic.analyse_point(built.expr, derivative, v, {u: sympy.Integer(1), v: sympy.Integer(1)})
    assert [(f.left, f.right) for f in findings] == [(0.0, 2.0)]
