"""Derivatives as shown: cheap rewrites, and simplify under a time budget."""

from __future__ import annotations

import sympy

from derivcli.core.symbolic.build import SymbolicExpression, differentiate
from derivcli.core.symbolic.build import build as build_expression
from derivcli.core.symbolic.display import display_form, simplify_within
from derivcli.parsing.grammar import parse_expression


def build(text: str) -> SymbolicExpression:
    return build_expression(parse_expression(text))


def test_derivative_and_display_form() -> None:
    built = build("6*x**2+2*x+4")
    derivative = differentiate(built.expr, built.symbols["x"])
    assert str(display_form(derivative)) == "12*x + 2"


def test_display_form_is_never_longer_than_diff() -> None:
    built = build("sin(x)*exp(-x**2)/(1+x**2)")
    derivative = differentiate(built.expr, built.symbols["x"])
    shown = display_form(derivative)
    assert len(str(shown)) < len(str(derivative))
    assert sympy.simplify(shown - derivative) == 0


def test_simplify_within_budget() -> None:
    x = sympy.Symbol("x", real=True)
    assert simplify_within(sympy.sin(x) ** 2 + sympy.cos(x) ** 2, 5.0) == 1


def test_simplify_out_of_time_returns_none() -> None:
    x = sympy.Symbol("x", real=True)
    nested = x
    for _ in range(30):
        nested = sympy.sin(nested + 1)
    assert simplify_within(sympy.diff(nested, x), 0.05) is None


def test_display_form_does_not_expand_large_powers() -> None:
    built = build("(x+1)**20000")
    derivative = differentiate(built.expr, built.symbols["x"])
    assert str(display_form(derivative)) == "20000*(x + 1)**19999"
