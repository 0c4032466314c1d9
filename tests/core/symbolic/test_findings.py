"""Special points: kinks with their one-sided derivatives, jumps, domain edges."""

from __future__ import annotations

import sympy

from derivcli.core.symbolic.build import SymbolicExpression, differentiate
from derivcli.core.symbolic.build import build as build_expression
from derivcli.core.symbolic.findings import Finding, _sites, analyse_point
from derivcli.parsing.grammar import parse_expression


def build(text: str) -> SymbolicExpression:
    return build_expression(parse_expression(text))


def analyse(text: str, at: int) -> tuple[Finding, ...]:
    built = build(text)
    x = built.symbols["x"]
    derivative = differentiate(built.expr, x)
    return analyse_point(built.expr, derivative, x, {x: sympy.Integer(at)})


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


def test_one_sided_derivative_of_a_cancelling_sum_is_exactly_zero() -> None:
    built = build("abs(u - v) + u*v")
    u, v = built.symbols["u"], built.symbols["v"]
    derivative = differentiate(built.expr, v)
    findings = analyse_point(built.expr, derivative, v, {u: sympy.Integer(1), v: sympy.Integer(1)})
    assert [(f.left, f.right) for f in findings] == [(0.0, 2.0)]


def test_sites_are_the_subexpressions_that_can_be_special() -> None:
    x = sympy.Symbol("x", real=True)
    y = sympy.Symbol("y", real=True)
    assert _sites(3 * x**2 + 2 * x - 1, x) == ()
    expr = sympy.sin(x) + sympy.Abs(x - 1) + sympy.sqrt(x) + sympy.log(y) + sympy.Max(x, 2)
    assert set(_sites(expr, x)) == {sympy.Abs(x - 1), sympy.sqrt(x), sympy.Max(x, 2)}
