"""Rational polynomials at rational points in exact fractions: the Rational that SymPy substitutes."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcli.core.symbolic.polynomial import expanded_derivative, polynomial_at, rational_polynomial

x, y, a = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True), sympy.Symbol("a", real=True)

_RATIONALS = st.fractions(max_denominator=10**6).map(
    lambda value: sympy.Rational(value.numerator, value.denominator)
)


@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 3), _RATIONALS), min_size=1, max_size=5),
    _RATIONALS,
    _RATIONALS,
)
def test_the_value_and_its_text_equal_substitution(
    terms: list[tuple[int, int, sympy.Rational]], at_x: sympy.Rational, at_y: sympy.Rational
) -> None:
    expr = sympy.Add(*[coefficient * x**i * y**j for i, j, coefficient in terms])
    point = {x: at_x, y: at_y}
    expected = expr.xreplace(point)
    fast = polynomial_at(expr, point)
    if not expr.free_symbols:
        assert fast is None
        return
    assert fast == expected
    assert str(fast) == str(expected)


@pytest.mark.parametrize(
    ("expr", "point"),
    [
        (sympy.sin(x), {x: sympy.Rational(1, 2)}),
        (1 / x, {x: sympy.Integer(2)}),
        (sympy.sqrt(2) * x, {x: sympy.Integer(3)}),
        (x**2, {x: sympy.pi}),
        (x**2, {x: a}),
        (x * y, {x: sympy.Integer(1)}),
        (sympy.Integer(7), {x: sympy.Integer(1)}),
    ],
)
def test_anything_else_is_left_to_sympy(expr: sympy.Expr, point: dict[sympy.Symbol, sympy.Expr]) -> None:
    assert polynomial_at(expr, point) is None


def test_terms_are_read_once() -> None:
    polynomial = rational_polynomial(3 * x**2 / 4 - 1)
    assert polynomial is not None
    assert polynomial.symbols == (x,)
    assert [(exponents, str(coefficient)) for exponents, coefficient in polynomial.terms] == [
        ((2,), "3/4"),
        ((0,), "-1"),
    ]


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
