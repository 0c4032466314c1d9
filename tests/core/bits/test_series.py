"""Series branches at removable singularities."""

from __future__ import annotations

import sympy

from derivcli.core.bits.series import series_branch

X = sympy.Symbol("x", real=True)


def test_exp_minus_one_over_x_near_zero() -> None:
    branch = series_branch((sympy.exp(X) - 1) / X, X, sympy.Rational(1, 10000), "float32")
    assert branch is not None
    assert (branch.expression.text, branch.where) == ("x**3/24 + x**2/6 + x/2 + 1", "|x| < 0.001")


def test_a_singularity_away_from_zero() -> None:
    branch = series_branch((X**2 - 1) / (X - 1), X, sympy.Rational(1001, 1000), "float64")
    assert branch is not None
    assert (branch.expression.text, branch.where) == ("x + 1", "|x - 1| < 0.01")


def test_float64_needs_more_terms_than_float32() -> None:
    narrow = series_branch(sympy.sin(X) / X, X, sympy.Rational(1, 1000), "float32")
    wide = series_branch(sympy.sin(X) / X, X, sympy.Rational(1, 1000), "float64")
    assert narrow is not None
    assert wide is not None
    assert len(narrow.expression.text) < len(wide.expression.text)


def test_no_branch_at_a_pole_or_far_away() -> None:
    assert series_branch(sympy.exp(X) / X, X, sympy.Rational(1, 100), "float32") is None
    assert series_branch(sympy.sin(X) / X, X, sympy.Integer(3), "float32") is None
    assert series_branch(sympy.sin(X), X, sympy.Integer(0), "float32") is None
