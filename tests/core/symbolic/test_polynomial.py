"""Expanded polynomials differentiated term by term: the sum that ``sympy.diff`` builds."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcli.core.symbolic.polynomial import expanded_derivative

x, y, a = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True), sympy.Symbol("a", real=True)

_RATIONALS = st.fractions(max_denominator=10**6).map(
    lambda value: sympy.Rational(value.numerator, value.denominator)
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(_RATIONALS, st.integers(0, 7), st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=6
    ),
    st.sampled_from([x, y]),
)
def test_an_expanded_polynomial_is_differentiated_as_sympy_does(
    terms: list[tuple[sympy.Rational, int, int, int]], symbol: sympy.Symbol
) -> None:
    expr = sympy.Add(*[coefficient * x**i * y**j * a**k for coefficient, i, j, k in terms])
    derivative = expanded_derivative(expr, symbol)
    expected = sympy.diff(expr, symbol)
    assert derivative == expected
    assert (type(derivative), str(derivative)) == (type(expected), str(expected))


@pytest.mark.parametrize(
    "expr",
    [(x + 1) ** 3, 2 * x * (x + y), sympy.pi * x, sympy.sqrt(x) + x, x**-1 + 1, sympy.sin(x), sympy.I * x],
)
def test_anything_but_an_expanded_polynomial_is_left_to_sympy(expr: sympy.Expr) -> None:
    assert expanded_derivative(expr, x) is None


def test_non_commuting_symbols_are_left_to_sympy() -> None:
    a_matrix, b_matrix = sympy.symbols("A B", commutative=False)
    assert expanded_derivative(a_matrix * b_matrix * a_matrix, a_matrix) is None
