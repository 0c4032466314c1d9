"""Exact references in mpmath agree with SymPy's, rounded once."""

from __future__ import annotations

import math

import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from derivcli.core.activations import logsigmoid, sigmoid, softplus
from derivcli.core.bits import mp
from derivcli.core.symbolic.exact import rational_of_float, rounded_once

X = sympy.Symbol("x", real=True)
EXPRESSIONS = [
    sympy.exp(X) / (sympy.exp(X) + 1),
    sympy.sin(X) * sympy.log(1 + X**2),
    # log(1 + x**2) near 0 is 0 at 30 and at 60 digits: a zero that is not one.
    sigmoid(X) * (1 - sigmoid(X)),
    softplus(X) + logsigmoid(X),
    sympy.atan2(X, 2) + sympy.Max(X, 0),
]


# Within 1e-170 of halfway between two floats: the same rounding at 146 and 292 bits was the wrong one.
@example(sympy.atan(X / 2) + sympy.Max(X, 0), 2.295662355529608e-85, "float64")
@example(sympy.log(X**2 + 1) * sympy.sin(X), 1.1754943508222875e-38, "float64")
@example(sympy.log(X**2 + 1) * sympy.sin(X), 1.4899334277774184e-68, "float64")
@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(EXPRESSIONS),
    st.floats(min_value=-50, max_value=50),
    st.sampled_from(["float32", "float64"]),
)
def test_matches_sympy_rounded_once(expr: sympy.Expr, at: float, dtype: str) -> None:
    found = mp.reference(expr, {X: at}, dtype)
    assert found is not None
    assert found == (rounded_once(expr.xreplace({X: rational_of_float(at)}), dtype), True)


def test_not_a_real_number() -> None:
    assert mp.reference(sympy.log(X), {X: -1.0}, "float64") is None
    assert mp.reference(sympy.sqrt(X), {X: -1.0}, "float64") is None


def test_beyond_the_range_is_a_number_a_pole_is_not() -> None:
    assert mp.reference(sympy.exp(X), {X: 100.0}, "float32") == (math.inf, True)
    assert mp.reference(sympy.log(X), {X: 0.0}, "float64") == (-math.inf, False)


def test_an_unknown_head_has_no_reference() -> None:
    assert mp.reference(sympy.gamma(X), {X: 1.5}, "float64") is None
