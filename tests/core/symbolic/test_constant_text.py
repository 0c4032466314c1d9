"""The text of an exact constant: SymPy's, character for character, sums ordered by intervals."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcli.core.symbolic import constant_text as module
from derivcli.core.symbolic.constant_text import constant_text, sum_of_constants_order
from derivcli.core.symbolic.enclosure import ordered_by_value
from derivcli.core.symbolic.walk import any_node

R = sympy.Rational
_FUNCTIONS = (
    *(sympy.sin, sympy.cos, sympy.tan, sympy.exp, sympy.log, sympy.sqrt, sympy.Abs, sympy.sec, sympy.csc),
    *(sympy.atan, sympy.asin, sympy.tanh, sympy.cosh, sympy.asinh, sympy.erf, sympy.cot),
)
_SMALL_RATIONALS = st.fractions(min_value=-3000, max_value=3000, max_denominator=1000).map(
    lambda value: R(value.numerator, value.denominator)
)
_RATIONALS = st.one_of(
    _SMALL_RATIONALS,
    # Numerators and denominators beyond float64's range: SymPy's own floats of them overflow.
    st.tuples(st.integers(-(10**400), 10**400), st.integers(1, 10**400)).map(lambda pair: R(*pair)),
)
_FACTORS = st.one_of(
    st.tuples(st.sampled_from(_FUNCTIONS), _RATIONALS).map(lambda pair: pair[0](pair[1])),
    st.sampled_from([sympy.pi, sympy.E, sympy.sqrt(2), sympy.log(3)]),
    st.tuples(st.sampled_from(_FUNCTIONS), st.tuples(_RATIONALS, _RATIONALS)).map(
        lambda pair: pair[0](pair[1][0] + pair[1][1] * sympy.sin(pair[1][0]))
    ),
)
_TERMS = st.one_of(
    _RATIONALS,
    st.tuples(_RATIONALS, st.lists(_FACTORS, min_size=1, max_size=3)).map(
        lambda pair: sympy.Mul(pair[0], *pair[1])
    ),
)


def _prints_as_sympy_prints_it(terms: list[sympy.Expr]) -> None:
    value = sympy.Add(*terms)
    try:
        expected = str(value)
    except (OverflowError, ValueError):  # SymPy's own printer cannot evaluate some enormous terms
        return
    assert constant_text(value) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(_TERMS, min_size=2, max_size=5))
def test_a_sum_of_constants_prints_as_sympy_prints_it(terms: list[sympy.Expr]) -> None:
    _prints_as_sympy_prints_it(terms)


_PLAIN_FACTORS = st.one_of(
    st.tuples(
        st.sampled_from([*_FUNCTIONS, sympy.acosh, sympy.sinh, sympy.Function("f")]),
        _RATIONALS,
        st.integers(-2, 4),
    ),
    # SymPy evaluates gamma of a whole number as a factorial: of 10**400, it would never finish.
    st.tuples(st.just(sympy.gamma), _SMALL_RATIONALS, st.integers(-2, 4)),
).map(lambda chosen: chosen[0](chosen[1]) ** chosen[2])
# What a point makes of a polynomial plus multiples of functions: rationals, integers times a factor.
_PLAIN_TERMS = st.one_of(
    _RATIONALS,
    _PLAIN_FACTORS,
    st.tuples(st.integers(-(10**20), 10**20), _PLAIN_FACTORS).map(lambda pair: pair[0] * pair[1]),
    st.tuples(st.sampled_from([-1, 1, 2, -3]), _PLAIN_FACTORS).map(lambda pair: pair[0] * pair[1]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_PLAIN_TERMS, min_size=1, max_size=4))
def test_a_point_of_a_polynomial_plus_functions_prints_as_sympy_prints_it(terms: list[sympy.Expr]) -> None:
    _prints_as_sympy_prints_it(terms)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (R(94, 125) - 6 * sympy.sin(R(141, 125)), "94/125 - 6*sin(141/125)"),
        (R(6141, 500) - 12 * sympy.tanh(R(423, 1000)) ** 2, "6141/500 - 12*tanh(423/1000)**2"),
        (-sympy.exp(R(-1, 3)) - 2, "-2 - exp(-1/3)"),
        (sympy.cos(R(1, 2)) ** 3, "cos(1/2)**3"),
    ],
)
def test_plain_terms_are_written_directly(
    value: sympy.Expr, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module._ConstantPrinter, "doprint", None)  # never reached
    assert constant_text(value) == text == str(value)


@pytest.mark.parametrize(
    "value",
    [
        # Ordered by value: the cosine term is the smaller.
        6 * sympy.cos(R(2073, 500)) + R(691, 250),
        # as_ordered_terms keeps "number - product" as it is, whatever the values.
        1 - 3 * sympy.exp(R(1, 2)),
        R(1, 10**6) - 2 * sympy.sin(R(3, 2)),
        # Values of 1e300: the coefficient 10**600 overflows SymPy's float, and SymPy's own order stands.
        10**300 * sympy.cos(R(1, 10**300)) - 10**600 * sympy.sin(R(1, 10**300)),
        # Equal values up to 1e-40: the intervals cannot order them, SymPy does.
        sympy.sin(R(1, 3)) + sympy.sin(R(1, 3) + R(1, 10**40)),
        # SymPy's float of csc(10**20/7) is 1.6976, not 1.3975: the order it prints follows its floats.
        2 - sympy.cot(R(10**20, 7)) * sympy.csc(R(10**20, 7)),
        sympy.sec(R(10**20, 7)) + 1,
        # Not a sum of constants: SymPy orders it.
        sympy.Symbol("x") + sympy.sin(2),
        sympy.log(-2) + 1,
    ],
)
def test_special_sums_print_as_sympy_prints_them(value: sympy.Expr) -> None:
    assert constant_text(value) == str(value)


def test_the_intervals_decide_an_ordinary_sum() -> None:
    value = 6 * sympy.cos(R(2073, 500)) + R(691, 250)
    assert sum_of_constants_order(value) == [6 * sympy.cos(R(2073, 500)), R(691, 250)]


def test_a_tie_is_left_to_sympy(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[sympy.Expr] = []
    monkeypatch.setattr(module, "ordered_by_value", lambda products: asked.append(products) or None)
    value = sympy.sin(R(1, 3)) + sympy.cos(R(1, 3))
    assert constant_text(value) == str(value)
    assert len(asked) == 1  # asked once, refused, and SymPy's order printed


def test_ordered_by_value_gives_positions_in_increasing_order() -> None:
    products = [[R(3)], [R(-2), sympy.cos(R(1))], [sympy.pi]]
    assert ordered_by_value(products) == [1, 0, 2]


@pytest.mark.parametrize(
    "products",
    [
        [[sympy.sin(R(1))], [sympy.sin(R(1)) + R(1, 10**20)]],  # closer than 2**-30 of their size
        [[R(1)], [R(10**400)]],  # beyond float64
        [[R(1)], [R(1, 10**400)]],  # below its normal numbers
        [[R(10**200), R(10**200), R(1, 10**200)], [R(1)]],  # a partial product beyond float64
        [[R(1)], [sympy.log(R(-2))]],  # not real
        [[R(1)], [sympy.Symbol("x")]],  # not a constant
        [[R(1)], []],  # no factor
    ],
)
def test_ordered_by_value_refuses_what_it_cannot_prove(products: list[list[sympy.Expr]]) -> None:
    assert ordered_by_value(products) is None


@given(_RATIONALS)
def test_a_rational_prints_as_sympy_prints_it(value: sympy.Rational) -> None:
    assert constant_text(value) == str(value)


@pytest.mark.parametrize("value", [sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne, sympy.S.Half, R(-7, 3)])
def test_sympys_own_numbers_print_as_sympy_prints_them(value: sympy.Rational) -> None:
    assert constant_text(value) == str(value)


@pytest.mark.parametrize(
    "term",
    [
        3 * sympy.sec(sympy.Rational(1, 3)),
        sympy.cos(sympy.Rational(1, 3)) ** 2 * sympy.cot(2),
        sympy.exp(sympy.csc(sympy.Rational(-5, 2))),
        7 * sympy.sin(sympy.Rational(1, 3)),
        sympy.Rational(22, 7),
        sympy.log(3) * sympy.tan(sympy.Rational(1, 9)),
    ],
)
def test_a_term_holding_sec_csc_or_cot_is_found_as_has_finds_it(term: sympy.Expr) -> None:
    assert any_node(term, module._evaluated_loosely) == term.has(sympy.sec, sympy.csc, sympy.cot)
