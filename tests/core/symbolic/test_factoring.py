"""Whether factoring could shorten a sum, decided without trying: never wrong when it says no."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcli.core.symbolic.display import _display_candidates, display_text
from derivcli.core.symbolic.factoring import factoring_cannot_shorten

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
        (sympy.exp(2 * x) + x, False),
        (x * y, False),
    ],
)
def test_known_sums(expr: sympy.Expr, cannot_shorten: bool) -> None:
    assert factoring_cannot_shorten(expr, len(str(expr))) is cannot_shorten


def test_a_derivative_whose_text_cannot_lose_is_not_factored(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(expr: sympy.Expr) -> sympy.Expr:
        raise AssertionError("factor_terms was tried")

    monkeypatch.setattr(sympy, "factor_terms", refuse)
    assert display_text(15 * x**4 + 9 * x**2) == "15*x**4 + 9*x**2"
