"""Whether factoring could shorten a sum, decided without trying: never wrong when it says no."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcli.core.symbolic.display import _display_candidates, display_text
from derivcli.core.symbolic.factoring import cancelling_cannot_shorten, factoring_cannot_shorten

x, y = sympy.symbols("x y", real=True)
_BASES = (x, y, sympy.sin(x), sympy.cos(2 * x), sympy.tanh(3 * y), sympy.Heaviside(x), sympy.Symbol("rate"))
_COEFFICIENTS = st.sampled_from([1, -1, 2, -2, 3, 6, 9, 10, 12, 100, -200, 300, 1000, 7, 35])
_TERMS = st.tuples(
    _COEFFICIENTS, st.lists(st.tuples(st.sampled_from(_BASES), st.integers(1, 12)), max_size=3)
).map(lambda term: sympy.Integer(term[0]) * sympy.Mul(*[base**power for base, power in term[1]]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_TERMS, min_size=2, max_size=5))
def test_when_it_says_factoring_cannot_shorten_factoring_does_not(terms: list[sympy.Expr]) -> None:
    expr = sympy.Add(*terms)
    text = str(expr)
    if factoring_cannot_shorten(expr, len(text)):
        assert len(str(sympy.factor_terms(expr))) >= len(text)
        # And so the text shown is the one every candidate would have given.
        assert display_text(expr) == min((str(each) for each in _display_candidates(expr)), key=len)


@pytest.mark.parametrize(
    ("expr", "cannot_shorten"),
    [
        (15 * x**4 + 9 * x**2, True),  # 3*x**2*(5*x**2 + 3) is longer
        (2 * x - 6 * sympy.sin(3 * x), True),  # 2*(x - 3*sin(3*x)) is longer
        (2 * x + 4, True),
        (100 * x**9 + 200 * x**8, False),  # 100*x**8*(x + 2) is shorter
        (x**12 + x**11 + x**10, False),  # x**10*(x**2 + x + 1) is shorter
        # Beyond what is counted: sums inside functions, fractions, powers that are not whole.
        (2 * sympy.sin(x + 1) + 4, False),
        (x / 2 + 1, False),
        (sympy.sqrt(x) + x, False),
        (x * y, False),
        # exp and one divisor that factoring leaves alone are counted, while a term is free of them.
        (sympy.exp(2 * x) + x, True),
        (4 * x**3 + 42 * sympy.exp(6 * x), True),  # 2*(2*x**3 + 21*exp(6*x)) is longer
        (2 * sympy.exp(x) + 4 * sympy.exp(2 * x), False),  # a power of e in every term
        (3 * x**2 + 27 / (9 * x**2 + 1), True),  # 3*(x**2 + 9/(9*x**2 + 1)) is longer
        (x / (x**2 + 1) + 1 / (x**2 + 1), False),  # (x + 1)/(x**2 + 1) is shorter
        (x + 1 / (2 * x + 4), False),  # factoring changes the divisor: 1/(2*(x + 2))
    ],
)
def test_known_sums(expr: sympy.Expr, cannot_shorten: bool) -> None:
    assert factoring_cannot_shorten(expr, len(str(expr))) is cannot_shorten


_DIVISORS = st.sampled_from(
    [x**2 + 1, 9 * x**2 + 1, 4 * x**2 + 4 * x + 1, x**3 - x + 2, 2 * x + 4, x**2 + x, -(x**2) - 1, x * y + 1]
)
_EXP_TERMS = st.tuples(
    _COEFFICIENTS, st.sampled_from([sympy.exp(x), sympy.exp(2 * x), sympy.exp(-3 * y)])
).map(lambda term: term[0] * term[1])
_DIVIDED_TERMS = st.tuples(_TERMS, _DIVISORS).map(lambda term: term[0] / term[1])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_TERMS, _TERMS, _EXP_TERMS, _DIVIDED_TERMS), min_size=2, max_size=4))
def test_with_powers_of_e_and_divisors_it_is_never_wrong_either(terms: list[sympy.Expr]) -> None:
    expr = sympy.Add(*terms)
    text = str(expr)
    if expr.is_Add and factoring_cannot_shorten(expr, len(text)):
        assert len(str(sympy.factor_terms(expr))) >= len(text)


_POLYNOMIAL_TERMS = st.tuples(_COEFFICIENTS, st.integers(0, 5), st.integers(0, 2)).map(
    lambda term: term[0] * x ** term[1] * y ** term[2]
)
_RATIONALS = st.fractions(min_value=-50, max_value=50, max_denominator=12).filter(bool)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_POLYNOMIAL_TERMS, min_size=1, max_size=3),
    _RATIONALS,
    st.lists(_POLYNOMIAL_TERMS, min_size=2, max_size=3),
)
def test_when_it_says_cancelling_cannot_shorten_cancelling_does_not(
    whole: list[sympy.Expr], constant: object, divisor: list[sympy.Expr]
) -> None:
    denominator = sympy.Add(*divisor)
    expr = sympy.Add(*whole) + sympy.Rational(constant.numerator, constant.denominator) / denominator  # type: ignore[attr-defined]
    text = str(expr)
    if expr.is_Add and cancelling_cannot_shorten(expr, len(text)):
        assert len(str(sympy.cancel(expr))) >= len(text)
        assert display_text(expr) == min((str(each) for each in _display_candidates(expr)), key=len)


@pytest.mark.parametrize(
    ("expr", "cannot_shorten"),
    [
        (3 * x**2 + 27 / (9 * x**2 + 1), True),  # (27*x**4 + 3*x**2 + 27)/(9*x**2 + 1) is longer
        (1 + 36 / (81 * x**2 + 1), True),  # (81*x**2 + 37)/(81*x**2 + 1) is longer
        (x + 1 / (x + 1), True),
        (1 + 1 / (x + 1), True),  # (x + 2)/(x + 1) is longer
        (1 - 1 / (x + 1), False),  # x/(x + 1) is shorter
        (x + 1 / (x + 1) + 1 / (x + 2), False),  # two divisors: not counted here
        (x + y / (x + 1), False),  # a numerator that is not a constant: not counted here
        (x**2 + x, False),  # no divisor: nothing to cancel
    ],
)
def test_known_fractions(expr: sympy.Expr, cannot_shorten: bool) -> None:
    assert cancelling_cannot_shorten(expr, len(str(expr))) is cannot_shorten


def test_a_derivative_whose_text_cannot_lose_is_not_factored(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(expr: sympy.Expr) -> sympy.Expr:
        raise AssertionError("factor_terms was tried")

    monkeypatch.setattr(sympy, "factor_terms", refuse)
    assert display_text(15 * x**4 + 9 * x**2) == "15*x**4 + 9*x**2"


def test_the_derivative_of_an_arctangent_is_neither_factored_nor_cancelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(expr: sympy.Expr) -> sympy.Expr:
        raise AssertionError("a rewrite was tried")

    monkeypatch.setattr(sympy, "factor_terms", refuse)
    monkeypatch.setattr(sympy, "cancel", refuse)
    derivative = sympy.diff(x**3 + sympy.atan(3 * x), x)
    assert display_text(derivative) == "3*x**2 + 3/(9*x**2 + 1)"
