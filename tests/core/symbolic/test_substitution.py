"""A rational point substituted with fractions where it can be: always ``xreplace``'s expression."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcli.core.symbolic import substitution
from derivcli.core.symbolic.substitution import substituted_exactly

x, y = sympy.symbols("x y", real=True)
R = sympy.Rational

_RATIONALS = st.fractions(min_value=-50, max_value=50, max_denominator=60).map(
    lambda value: R(value.numerator, value.denominator)
)
_LEAVES = st.one_of(st.sampled_from([x, y, x, y, sympy.pi, sympy.E]), _RATIONALS)
_FUNCTIONS = (sympy.sin, sympy.cos, sympy.exp, sympy.tanh, sympy.atan, sympy.log, sympy.sqrt, sympy.Abs)


def _grown(children: st.SearchStrategy[sympy.Expr]) -> st.SearchStrategy[sympy.Expr]:
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda parts: sympy.Add(*parts)),
        st.lists(children, min_size=2, max_size=3).map(lambda parts: sympy.Mul(*parts)),
        st.tuples(children, st.integers(-3, 4)).map(lambda pair: pair[0] ** pair[1]),
        st.tuples(children, st.sampled_from([R(1, 2), R(-1, 3)])).map(lambda pair: pair[0] ** pair[1]),
        st.tuples(st.sampled_from(_FUNCTIONS), children).map(lambda pair: pair[0](pair[1])),
    )


_EXPRESSIONS = st.recursive(_LEAVES, _grown, max_leaves=12)
_POINTS = st.fixed_dictionaries({x: _RATIONALS | st.just(R(0)), y: _RATIONALS})


@settings(max_examples=400, deadline=None)
@given(_EXPRESSIONS, _POINTS)
def test_the_same_expression_as_xreplace(expr: sympy.Expr, point: dict[sympy.Symbol, sympy.Expr]) -> None:
    expected = expr.xreplace(point)
    got = substituted_exactly(expr, point)
    assert got == expected
    assert str(got) == str(expected)


@pytest.mark.parametrize(
    ("expr", "point", "text"),
    [
        (3 * x**2 + 9 / (9 * x**2 + 1), {x: R(-1463, 1000)}, "139112952316347/20263321000000"),
        (x**2 + 2 * sympy.cos(3 * x), {x: R(123, 250)}, "2*cos(369/250) + 15129/62500"),
        (1 / x + sympy.sin(x), {x: R(0)}, "zoo"),  # x**-1 at 0: SymPy's complex infinity, as xreplace gives
        (x * y + sympy.pi * x, {x: R(1, 2)}, "y/2 + pi/2"),  # y is not in the point: it stays
        (x**2, {x: sympy.sqrt(2)}, "2"),  # not a rational point: xreplace itself
    ],
)
def test_known_values(expr: sympy.Expr, point: dict[sympy.Symbol, sympy.Expr], text: str) -> None:
    assert str(substituted_exactly(expr, point)) == text == str(expr.xreplace(point))


def test_a_bound_variable_is_replaced_as_xreplace_replaces_it() -> None:
    f = sympy.Function("f")
    bound = sympy.Subs(sympy.Derivative(f(x), x), x, y**2)
    point = {x: R(3, 2), y: R(1, 3)}
    with pytest.raises(ValueError, match="derivative wrt 3/2"):
        bound.xreplace(point)
    with pytest.raises(ValueError, match="derivative wrt 3/2"):
        substituted_exactly(bound + x, point)


def test_the_rational_parts_are_computed_in_integers(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[int, int]] = []
    real_rational = substitution._rational

    def counting(value: tuple[int, int]) -> sympy.Rational:
        built.append(value)
        return real_rational(value)

    monkeypatch.setattr(substitution, "_rational", counting)
    # x**2 - 5 and 3*x are one fraction each: the sum's rational terms are added first.
    expected = 2 * sympy.cos(R(3, 2)) - R(19, 4)
    assert substituted_exactly(x**2 + 2 * sympy.cos(3 * x) - 5, {x: R(1, 2)}) == expected
    assert [Fraction(*pair) for pair in built] == [Fraction(3, 2), Fraction(-19, 4)]
    # Denominators that divide one another are not multiplied: x**2 + x at 1/2 is 3/4, not 6/8.
    assert built[1] == (-19, 4)


@settings(max_examples=200, deadline=None)
@given(st.lists(_RATIONALS, min_size=1, max_size=6), _RATIONALS | st.just(R(0)), st.integers(-4, 6))
def test_a_polynomial_s_value_is_exact_at_any_point(
    coefficients: list[sympy.Rational], at: sympy.Rational, shift: int
) -> None:
    expr = sympy.Add(*[coefficient * x ** (power + shift) for power, coefficient in enumerate(coefficients)])
    point = {x: at}
    try:
        expected = expr.xreplace(point)
    except ZeroDivisionError:
        return
    assert substituted_exactly(expr, point) == expected


_PLAIN_ARGUMENTS = _RATIONALS | st.sampled_from([y, 2 * y + 1, sympy.pi / 3])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(substitution._PLAIN_FUNCTIONS, key=lambda function: function.__name__)),
    _PLAIN_ARGUMENTS,
    _RATIONALS,
    _RATIONALS,
)
def test_a_rational_and_a_plain_call_are_put_together_as_sympy_does(
    function: type, argument: sympy.Expr, coefficient: sympy.Rational, constant: sympy.Rational
) -> None:
    call = function(argument)
    product = substitution._built(sympy.Mul, [coefficient, call])
    for got, expected in (
        (product, sympy.Mul(coefficient, call)),
        (substitution._built(sympy.Add, [constant, call]), sympy.Add(constant, call)),
        (substitution._built(sympy.Add, [constant, product]), sympy.Add(constant, product)),
    ):
        assert type(got) is type(expected)
        assert got == expected
        assert got.args == expected.args
        assert sympy.srepr(got) == sympy.srepr(expected)
        assert hash(got) == hash(expected)
        assert str(got) == str(expected)


def test_a_product_of_a_rational_and_a_plain_call_is_not_rebuilt_by_sympy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused(*_: object) -> None:
        raise AssertionError("SymPy's product was asked to evaluate")

    call, root = sympy.sin(R(1, 7)), sympy.sqrt(3)
    sympy.core.cache.clear_cache()  # products made earlier would come from SymPy's cache, not its flatten
    monkeypatch.setattr(sympy.Mul, "flatten", classmethod(refused))
    product = substitution._built(sympy.Mul, [R(-3, 2), call])
    assert product.args == (R(-3, 2), call)
    # 0*sin is SymPy's to simplify; so is a product of a rational and anything else.
    with pytest.raises(AssertionError, match="asked to evaluate"):
        substitution._built(sympy.Mul, [R(0), call])
    with pytest.raises(AssertionError, match="asked to evaluate"):
        substitution._built(sympy.Mul, [R(2), root])


@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 3), _RATIONALS), min_size=1, max_size=5),
    _RATIONALS,
    _RATIONALS,
)
def test_a_polynomial_is_one_fraction_equal_to_substitution(
    terms: list[tuple[int, int, sympy.Rational]], at_x: sympy.Rational, at_y: sympy.Rational
) -> None:
    expr = sympy.Add(*[coefficient * x**i * y**j for i, j, coefficient in terms])
    point = {x: at_x, y: at_y}
    expected = expr.xreplace(point)
    got = substituted_exactly(expr, point)
    assert got == expected
    assert got.is_Rational
    assert str(got) == str(expected)
    if expr.free_symbols:
        assert not isinstance(
            substitution._plan(expr, frozenset(point)), substitution._Rebuilt | substitution._Kept
        )


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**30), 10**30), st.integers(1, 10**30))
def test_a_pair_becomes_sympy_s_own_rational(numerator: int, denominator: int) -> None:
    ours, theirs = substitution._rational((numerator, denominator)), sympy.Rational(numerator, denominator)
    assert type(ours) is type(theirs)
    assert (ours.p, ours.q) == (theirs.p, theirs.q)
    if theirs in (sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne, sympy.S.Half):
        assert ours is theirs  # SymPy's singletons, as its constructor hands them out
