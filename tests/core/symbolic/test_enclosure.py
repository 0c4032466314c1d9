"""Floats of constants proved by intervals: the carefully rounded value, or no answer."""

from __future__ import annotations

import math
import threading
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.codegen.cfunctions import expm1, log1p

from derivcli.core.activations import logsigmoid, sigmoid, softplus
from derivcli.core.symbolic import enclosure, exact
from derivcli.core.symbolic.enclosure import FLOAT32, enclosed_float
from derivcli.core.symbolic.exact import evaluate_at, rounded_once, to_dtype

_FUNCTIONS = (
    *(sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc, sympy.exp, sympy.log, sympy.Abs),
    *(sympy.asin, sympy.acos, sympy.atan, sympy.acot, sympy.asec, sympy.acsc, sympy.erf),
    *(sympy.sinh, sympy.cosh, sympy.tanh, sympy.csch, sympy.sech, sympy.coth),
    *(sympy.asinh, sympy.acosh, sympy.atanh, expm1, log1p, sigmoid, softplus, logsigmoid),
)
_LEAVES = st.one_of(
    st.fractions(min_value=-50, max_value=50, max_denominator=1000).map(
        lambda value: sympy.Rational(value.numerator, value.denominator)
    ),
    st.just(sympy.pi),
)


def _combine(children: st.SearchStrategy[sympy.Expr]) -> st.SearchStrategy[sympy.Expr]:
    """Sums, products, powers and functions of smaller constants."""
    return st.one_of(
        st.tuples(children, children).map(lambda pair: pair[0] + pair[1]),
        st.tuples(children, children).map(lambda pair: pair[0] * pair[1]),
        st.tuples(children, st.sampled_from([2, 3, -1, sympy.S.Half, sympy.Rational(1, 3)])).map(
            lambda pair: pair[0] ** pair[1]
        ),
        st.tuples(st.sampled_from(_FUNCTIONS), children).map(lambda pair: pair[0](pair[1])),
    )


_CONSTANTS = st.recursive(_LEAVES, _combine, max_leaves=6)


@settings(max_examples=150, deadline=None)
@given(_CONSTANTS)
def test_a_decided_value_is_the_carefully_rounded_one(constant: sympy.Expr) -> None:
    # The reference: 60 digits of the real part (SymPy's evalf of sigmoid(sin(1)) has an imaginary
    # part of 1e-71, which is noise: the interval proves the value real).
    real = constant.evalf(60).as_real_imag()[0]
    enclosed = enclosed_float(constant)
    if enclosed is not None:
        assert enclosed.value == to_dtype(real, "float64", digits=60)
        assert abs(enclosed.digits - real) <= abs(real) * sympy.Float("1e-29")
    single = enclosed_float(constant, FLOAT32)
    if single is not None:
        assert single.value == to_dtype(real, "float32", digits=60)


@pytest.mark.parametrize(
    ("constant", "expected"),
    [
        (251 * sympy.Integer(1) / 25 - 12 * sympy.tanh(sympy.Rational(147, 50)) ** 2, -1.8265970141863683),
        (sympy.atan(sympy.Integer(10) ** 400), math.pi / 2),
        (sympy.exp(sympy.Integer(-700)), 9.85967654375977e-305),
        (-sympy.exp(sympy.Integer(709)), -8.218407461554972e307),
        # Cancellation: evalf at 30 digits gave 1.085e-165; the interval tightens until it decides.
        (sympy.exp(sympy.Rational(1, 10**300)) - 1, 1e-300),
        (sympy.log(1 + sympy.Rational(1, 10**300)) + sympy.Rational(1, 10**290), 1.0000000001e-290),
    ],
)
def test_known_values(constant: sympy.Expr, expected: float) -> None:
    enclosed = enclosed_float(constant)
    assert enclosed is not None
    assert enclosed.value == expected


@pytest.mark.parametrize(
    "constant",
    [
        sympy.sin(1) ** 2 + sympy.cos(1) ** 2 - 1,  # exactly 0: no interval excludes it
        sympy.log(-2),  # not real
        sympy.sqrt(sympy.Rational(-2, 3) + sympy.cos(1) / 10),  # not real
        sympy.exp(sympy.Integer(1000)),  # beyond float64
        sympy.exp(sympy.Integer(10) ** 400),  # beyond float64, refused before mpmath spends seconds on it
        sympy.pi / sympy.Integer(10) ** 310,  # subnormal
        sympy.gamma(sympy.Rational(1, 7)),  # a function not enclosed here
        sympy.Float("0.1", 30) + sympy.sin(1),  # an approximation already: not a proof
        sympy.tan(sympy.pi / 2),  # complex infinity
    ],
)
def test_undecided_constants_are_left_to_sympy(constant: sympy.Expr) -> None:
    assert enclosed_float(constant) is None


def test_evaluation_at_a_point_takes_the_interval_and_not_evalf(monkeypatch: pytest.MonkeyPatch) -> None:
    x = sympy.Symbol("x", real=True)

    def refuse(_: sympy.Expr) -> None:
        raise AssertionError("SymPy's evalf path was taken")

    monkeypatch.setattr(exact, "real_and_imaginary", refuse)
    value = evaluate_at(2 * x - 12 * sympy.tanh(3 * x) ** 2 + 12, {x: sympy.Rational(-49, 50)})
    assert value.exact == "251/25 - 12*tanh(147/50)**2"
    assert value.value == -1.8265970141863683
    assert value.status is exact.ValueStatus.FINITE


_SINH_CANCELS = sympy.sinh(sympy.Rational(1, 10**100)) - sympy.Rational(1, 10**100)


@pytest.mark.parametrize(
    ("constant", "dtype", "expected"),
    [
        (sympy.tanh(sympy.Rational(147, 50)), "float32", 0.9944260120391846),
        (_SINH_CANCELS, "float64", 1.6666666666666667e-301),
    ],
)
def test_rounding_once_to_a_dtype_takes_the_interval_first(
    constant: sympy.Expr, dtype: str, expected: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> float:
        raise AssertionError("evalf's way was taken")

    monkeypatch.setattr(exact, "to_dtype", refuse)
    assert rounded_once(constant, dtype) == expected


def test_beyond_the_dtype_rounding_once_is_evalf_s_as_before() -> None:
    assert rounded_once(sympy.exp(sympy.Integer(100)), "float32") == math.inf


def test_enclosures_from_several_threads_each_keep_their_own_precision() -> None:
    # One needs 2048 bits, the other decides at 128: run together, neither may see the other's precision.
    deep = sympy.exp(sympy.Rational(1, 10**300)) - 1
    shallow = sympy.tanh(sympy.Rational(147, 50))
    found: list[tuple[float | None, float | None]] = []

    def work() -> None:
        for _ in range(30):
            first, second = enclosed_float(deep), enclosed_float(shallow)
            found.append((None if first is None else first.value, None if second is None else second.value))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(found) == {(1e-300, 0.9944260075619155)}


def _fraction(end: tuple[int, int, int, int]) -> Fraction:
    sign, mantissa, exponent, _ = end
    return (-1) ** sign * mantissa * Fraction(2) ** exponent


@settings(max_examples=300, deadline=None)
@given(
    st.integers(-(10**60), 10**60),
    st.integers(1, 10**60),
    st.sampled_from([enclosure.PRECISION_BITS, 4 * enclosure.PRECISION_BITS, 53]),
)
def test_a_rational_is_enclosed_as_tightly_as_mpmath_divides_it(
    numerator: int, denominator: int, bits: int
) -> None:
    context = enclosure._CONTEXT
    try:
        context.prec = bits
        ours = enclosure._rational_interval(numerator, denominator)
        theirs = context.mpf(numerator) / denominator
    finally:
        context.prec = enclosure.PRECISION_BITS
    (low, high), (their_low, their_high) = ours._mpi_, theirs._mpi_
    # The quotient rounded down and up: it lies between, and no wider than mpmath's interval.
    assert _fraction(low) <= Fraction(numerator, denominator) <= _fraction(high)
    assert _fraction(their_low) <= _fraction(low) <= _fraction(high) <= _fraction(their_high)
    if max(abs(numerator), denominator).bit_length() <= bits:
        assert ours._mpi_ == theirs._mpi_  # both integers exact at this precision: the very same interval


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-(10**40), 10**40),
    st.integers(1, 10**30),
    st.sampled_from([enclosure.PRECISION_BITS, 4 * enclosure.PRECISION_BITS]),
)
def test_cos_and_sin_of_an_interval_are_mpmath_s_computed_once_for_both(
    numerator: int, denominator: int, bits: int
) -> None:
    context = enclosure._CONTEXT
    enclosure._COS_SIN.clear()
    try:
        context.prec = bits
        interval = enclosure._rational_interval(numerator, denominator)
        sine, cosine = enclosure._sin(interval), enclosure._cos(interval)
        assert sine._mpi_ == context.sin(interval)._mpi_
        assert cosine._mpi_ == context.cos(interval)._mpi_
    finally:
        context.prec = enclosure.PRECISION_BITS
    assert len(enclosure._COS_SIN) == 1  # the cosine came from the sine's computation


def test_a_sine_and_its_derivative_share_their_argument_s_enclosure(monkeypatch: pytest.MonkeyPatch) -> None:
    x = sympy.Symbol("x")
    enclosure._RECENT.clear()
    enclosure._COS_SIN.clear()
    computed: list[object] = []
    original = enclosure.libmp.mpi_cos_sin
    monkeypatch.setattr(
        enclosure.libmp, "mpi_cos_sin", lambda *arguments: computed.append(arguments) or original(*arguments)
    )
    point = {x: sympy.Rational(151, 250)}
    value, derivative = (
        evaluate_at(6 * sympy.sin(3 * x) + x**2, point),
        evaluate_at(18 * sympy.cos(3 * x) + 2 * x, point),
    )
    assert len(computed) == 1
    assert value.value == float(
        sympy.N(6 * sympy.sin(sympy.Rational(453, 250)) + sympy.Rational(151, 250) ** 2, 40)
    )
    assert derivative.value == float(
        sympy.N(18 * sympy.cos(sympy.Rational(453, 250)) + sympy.Rational(151, 125), 40)
    )
