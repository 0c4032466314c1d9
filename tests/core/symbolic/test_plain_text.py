"""Plain sums written directly: always the text SymPy's printer gives, character for character."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.printing.str import StrPrinter

from derivcli.core.symbolic.plain_text import plain_text

x, y = sympy.symbols("x y", real=True)
rate, x_plain = sympy.Symbol("rate", positive=True), sympy.Symbol("x")  # x_plain: a second symbol named x
R = sympy.Rational

_RATIONALS = st.fractions(min_value=-30, max_value=30, max_denominator=8).map(
    lambda value: R(value.numerator, value.denominator)
)
_FUNCTIONS = (
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.exp,
    sympy.log,
    sympy.tanh,
    sympy.atan,
    sympy.asinh,
    sympy.sqrt,
    sympy.Abs,
    sympy.Heaviside,
    sympy.Function("f"),
)
_LEAVES = st.one_of(st.sampled_from([x, y, rate, x_plain, sympy.pi, sympy.Dummy("d")]), _RATIONALS)


def _grown(children: st.SearchStrategy[sympy.Expr]) -> st.SearchStrategy[sympy.Expr]:
    return st.one_of(
        st.lists(children, min_size=2, max_size=4).map(lambda parts: sympy.Add(*parts)),
        st.lists(children, min_size=2, max_size=3).map(lambda parts: sympy.Mul(*parts)),
        st.tuples(children, st.integers(-3, 4)).map(lambda pair: pair[0] ** pair[1]),
        st.tuples(st.sampled_from(_FUNCTIONS), children).map(lambda pair: _applied(*pair)),
    )


def _applied(function: type, argument: sympy.Expr) -> sympy.Expr:
    """``function(argument)``, or the argument where SymPy refuses it (Heaviside of a complex value)."""
    try:
        return function(argument)  # type: ignore[no-any-return]
    except (ValueError, TypeError, ArithmeticError):
        return argument


_EXPRESSIONS = st.recursive(_LEAVES, _grown, max_leaves=10)


@settings(max_examples=600, deadline=None)
@given(_EXPRESSIONS)
def test_the_text_is_sympys(expr: sympy.Expr) -> None:
    assert plain_text(expr) == str(expr)


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (7 * x**5 + 4 * x**3 - 9, "7*x**5 + 4*x**3 - 9"),
        (2 * x - 6 * sympy.sin(3 * x), "2*x - 6*sin(3*x)"),
        (3 * x**2 + 27 / (9 * x**2 + 1), "3*x**2 + 27/(9*x**2 + 1)"),
        (R(3, 2) * x**2 * y - x / 2, "3*x**2*y/2 - x/2"),
        (4 * (1 - sympy.tanh(3 * x) ** 2) + 3 * x**2, "3*x**2 - 4*tanh(3*x)**2 + 4"),
        (R(-5, 3) / (x + 1) ** 3, "-5/(3*(x + 1)**3)"),
        (x**-2, "x**(-2)"),  # a bare power is printed as a power, its exponent in parentheses
        (sympy.exp(x) / x**2, "exp(x)/x**2"),  # in a product, below the bar
    ],
)
def test_known_texts(expr: sympy.Expr, text: str) -> None:
    assert plain_text(expr) == text == str(expr)


def test_a_plain_sum_is_written_without_the_printer(monkeypatch: pytest.MonkeyPatch) -> None:
    expr = 3 * x**2 * y + 27 / (9 * x**2 + 1) - 6 * sympy.sin(x / 2)
    expected = str(expr)

    def refused(*_: object) -> str:
        raise AssertionError("the printer was asked")

    monkeypatch.setattr(StrPrinter, "doprint", refused)
    assert plain_text(expr) == expected == "3*x**2*y - 6*sin(x/2) + 27/(9*x**2 + 1)"
