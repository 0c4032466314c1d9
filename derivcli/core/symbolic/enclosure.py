"""The float nearest a real constant, proved by interval arithmetic: a fast path, or no answer.

SymPy's ``evalf`` reaches 30 correct digits by adaptive precision and then
splits real and imaginary parts; for a constant such as
``251/25 - 12*tanh(147/50)**2`` that costs several times more than the
substitution that produced it. Here the constant is enclosed instead in an
interval of 128-bit endpoints that certainly holds its value. When both ends
round to the same float64 (or float32), that float is the correctly rounded
value, with no guess about cancellation; when they do not, the interval is
tightened. A value at or near zero, too close to halfway between two floats,
outside the format's normal range, or made of parts not enclosed here gets
no answer, and the caller takes SymPy's way.
"""

from __future__ import annotations

import functools
import itertools
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import mpmath
import sympy
from mpmath import libmp
from sympy.codegen.cfunctions import expm1, log1p

from derivcli.core.activations import logsigmoid, sigmoid, softplus

#: Bits of the interval's endpoints at first: far more than float64's 53, so almost every value is decided.
PRECISION_BITS: Final = 128
#: Most bits tried, four times more at each try, when cancellation leaves the interval undecided
#: (exp(10**-300) - 1 needs over a thousand); a value still undecided then is left to SymPy.
MAX_PRECISION_BITS: Final = 8192
#: Extra bits for functions computed at each end of an interval; the result is then widened by 2**8
#: units of the interval's precision, far more than mpmath's own error (under one unit at the extra bits).
GUARD_BITS: Final = 16

#: mpmath's interval arithmetic, in a context of its own (its precision is set for each try).
_CONTEXT: Final = mpmath.iv.__class__()
#: Bits of 30 decimal digits, the precision of SymPy's evalf(30).
_DIGITS_BITS: Final = libmp.dps_to_prec(30)
#: Relative width, as a power of two, below which an interval's middle holds 30 correct digits.
_NARROW_BITS: Final = _DIGITS_BITS + 8
_NOT_FINITE: Final = (libmp.fnan, libmp.finf, libmp.fninf)
#: Magnitudes between which values ordered by ordered_by_value stay normal float64 numbers.
_SMALLEST: Final = libmp.from_float(1e-300)
_NEGATIVE_SMALLEST: Final = libmp.mpf_neg(_SMALLEST)
_LARGEST: Final = libmp.from_float(1e300)
_NEGATIVE_LARGEST: Final = libmp.mpf_neg(_LARGEST)
#: Two values are ordered when they differ by more than 2**-30 of the larger: far beyond float64's error.
_ORDER_MARGIN_BITS: Final = 30
#: Intervals at the first precision of the latest constants enclosed, and how many are kept.
_RECENT: Final[dict[sympy.Expr, Any]] = {}
MAX_RECENT: Final = 1024
#: Held while an enclosure sets and uses the contexts' precision.
_ONE_AT_A_TIME: Final = threading.Lock()


class _NotEnclosedError(Exception):
    """A part of the constant that this module does not enclose (or whose enclosure is not real)."""


@dataclass(frozen=True, slots=True)
class FloatFormat:
    """A binary floating-point format: its significand's bits and its range of normal numbers."""

    significand_bits: int
    smallest_normal: float
    largest: float


FLOAT64: Final = FloatFormat(53, sys.float_info.min, sys.float_info.max)
FLOAT32: Final = FloatFormat(24, 2.0**-126, (2 - 2.0**-23) * 2.0**127)


@dataclass(frozen=True, slots=True)
class Enclosed:
    """A real constant's correctly rounded float (float64 or float32), and 30 digits of it."""

    value: float
    digits: sympy.Float


def enclosed_float(constant: sympy.Expr, form: FloatFormat = FLOAT64) -> Enclosed | None:
    """The float (of ``form``, float64 unless said) nearest a real constant when an interval proves it.

    None when it cannot: the value is not real, zero or very close to it,
    outside the format's normal numbers, or made of parts not enclosed here.
    Safe from several threads (the API may be called from them): the
    contexts' precision is shared, so one enclosure runs at a time.
    """
    with _ONE_AT_A_TIME:
        return _enclosed(constant, form)


def ordered_by_value(products: Sequence[Sequence[sympy.Expr]]) -> list[int] | None:
    """The positions of products of real constants in increasing order of value, when intervals prove it.

    Each product is given as its factors, multiplied in the order given;
    every factor and every partial product must lie between 1e-300 and
    1e300 in magnitude, and each two neighbours differ by more than 2**-30
    of the larger. Then multiplying the factors' float64 values (each good
    to 15 digits) orders the products alike, as SymPy's printer orders a sum
    of constants. None when that is not proved.
    """
    intervals = []
    with _ONE_AT_A_TIME:
        _CONTEXT.prec = PRECISION_BITS
        try:
            for factors in products:
                product = None
                for factor in factors:
                    value = _enclose(factor)
                    product = value if product is None else product * value
                    if not (_in_range(value._mpi_) and _in_range(product._mpi_)):
                        return None
                if product is None:
                    return None
                intervals.append(product._mpi_)
        except (_NotEnclosedError, ArithmeticError, ValueError, TypeError):
            return None
    order = sorted(range(len(intervals)), key=lambda index: libmp.to_float(intervals[index][0]))
    for below, above in itertools.pairwise(order):
        high = intervals[below][1]
        low = intervals[above][0]
        gap = libmp.mpf_sub(low, high, PRECISION_BITS, libmp.round_floor)
        if not libmp.mpf_gt(gap, libmp.mpf_shift(_larger(high, low), -_ORDER_MARGIN_BITS)):
            return None
    return order


def _in_range(interval: tuple[Any, Any]) -> bool:
    """True when every number of the interval lies between 1e-300 and 1e300 in magnitude (nan: False)."""
    low, high = interval
    positive = libmp.mpf_gt(low, _SMALLEST) and libmp.mpf_lt(high, _LARGEST)
    negative = libmp.mpf_lt(high, _NEGATIVE_SMALLEST) and libmp.mpf_gt(low, _NEGATIVE_LARGEST)
    return bool(positive or negative)


def _larger(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    """The larger magnitude of two mpf values."""
    first, second = libmp.mpf_abs(first), libmp.mpf_abs(second)
    return first if libmp.mpf_ge(first, second) else second


def _enclosed(constant: sympy.Expr, form: FloatFormat) -> Enclosed | None:
    """enclosed_float's work, tightening the interval fourfold until it decides."""
    bits = PRECISION_BITS
    try:
        while bits <= MAX_PRECISION_BITS:
            _CONTEXT.prec = bits
            try:
                interval = _enclose(constant)
            except (_NotEnclosedError, ArithmeticError, ValueError):
                # ComplexResult (log of a negative number) is an ArithmeticError in mpmath.
                return None
            low, high = interval._mpi_
            if low in _NOT_FINITE or high in _NOT_FINITE:
                return None
            rounded = (_rounded(low, form), _rounded(high, form))
            if _out_of_range(rounded, form):
                return None
            decided = _decided(low, high, rounded, form)
            if decided is not None:
                return decided
            bits *= 4
    finally:
        _CONTEXT.prec = PRECISION_BITS
    return None


def _out_of_range(rounded: tuple[float, float], form: FloatFormat) -> bool:
    """True when no precision can help: the interval lies beyond the format, or below its normal numbers."""
    rounded_low, rounded_high = rounded
    beyond = rounded_low > form.largest or rounded_high < -form.largest
    return beyond or abs(rounded_low) < form.smallest_normal > abs(rounded_high)


def _decided(
    low: tuple[Any, ...], high: tuple[Any, ...], rounded: tuple[float, float], form: FloatFormat
) -> Enclosed | None:
    """The float that every number of the interval rounds to, if there is one among the normal numbers.

    The interval must also be narrow enough for the 30 digits kept beside the
    float: after cancellation its ends can round alike while it is still wide.
    """
    nearest, other = rounded
    if nearest != other or not form.smallest_normal <= abs(nearest) <= form.largest:
        # Undecided, zero or straddling it, subnormal (rounded twice by the conversion), or beyond range.
        return None
    middle = libmp.mpf_shift(libmp.mpf_add(low, high, _CONTEXT.prec + 1), -1)
    width = libmp.mpf_sub(high, low, _CONTEXT.prec + 1)
    if libmp.mpf_gt(width, libmp.mpf_shift(libmp.mpf_abs(middle), -_NARROW_BITS)):
        return None
    digits = sympy.Float._new(libmp.mpf_pos(middle, _DIGITS_BITS, libmp.round_nearest), _DIGITS_BITS)
    return Enclosed(nearest, digits)


def _rounded(end: tuple[Any, ...], form: FloatFormat) -> float:
    """An endpoint rounded to nearest at the format's bits, then converted exactly (inf beyond float64)."""
    return float(libmp.to_float(libmp.mpf_pos(end, form.significand_bits, libmp.round_nearest)))


def _enclose(node: sympy.Expr) -> Any:
    """An interval that holds the value of a constant expression, or _NotEnclosedError."""
    if _CONTEXT.prec != PRECISION_BITS:
        return _enclose_node(node)
    # A sum's terms are enclosed to print it in order, then the sum to round it; a function's value and
    # its derivative's share their argument and coefficients: each is enclosed once.
    interval = _RECENT.get(node)
    if interval is None:
        if len(_RECENT) >= MAX_RECENT:
            _RECENT.clear()
        interval = _RECENT[node] = _enclose_node(node)
    return interval


def _rational_interval(numerator: int, denominator: int) -> Any:
    """The interval of p/q at the context's precision: the quotient rounded down and up.

    mpmath's ``iv.mpf(p) / q`` converts both integers to intervals and
    divides them: the same interval when both fit the precision (a wider one
    when they do not), at three times the cost.
    """
    bits = _CONTEXT.prec
    top, bottom = libmp.from_int(numerator), libmp.from_int(denominator)
    low = libmp.mpf_div(top, bottom, bits, libmp.round_floor)
    high = libmp.mpf_div(top, bottom, bits, libmp.round_ceiling)
    return _CONTEXT.make_mpf((low, high))


def _enclose_node(node: sympy.Expr) -> Any:
    """_enclose's work, without the memory of recent intervals."""
    if node.is_Rational:
        return _rational_interval(int(node.p), int(node.q))
    if node is sympy.pi:
        return _CONTEXT.pi
    if node is sympy.E:
        return _CONTEXT.e
    if node.is_Add:
        total = _enclose(node.args[0])
        for term in node.args[1:]:
            total = total + _enclose(term)
        return total
    if node.is_Mul:
        product = _enclose(node.args[0])
        for factor in node.args[1:]:
            product = product * _enclose(factor)
        return product
    if node.is_Pow:
        return _power(node)
    function = _FUNCTIONS.get(type(node))
    if function is None or len(node.args) != 1:
        raise _NotEnclosedError(node)
    return function(_enclose(node.args[0]))


def _power(node: sympy.Expr) -> Any:
    """An interval for base**exponent: integer powers of any base, other powers of a positive base."""
    base, exponent = node.args
    if exponent.is_Integer:
        return _enclose(base) ** int(exponent)
    enclosed_base = _enclose(base)
    if not enclosed_base.a > 0:
        raise _NotEnclosedError(node)
    if exponent == sympy.S.Half:
        return _CONTEXT.sqrt(enclosed_base)
    return _exp(_enclose(exponent) * _CONTEXT.log(enclosed_base))


#: exp of arguments beyond these is beyond float64's normal range: mpmath would still spend long on them.
EXP_RANGE: Final = (-710, 710)


def _exp(interval: Any) -> Any:
    """exp of an interval, refused where it leaves float64's range (exp(10**400) takes mpmath seconds)."""
    if not (interval.a > EXP_RANGE[0] and interval.b < EXP_RANGE[1]):
        raise _NotEnclosedError(interval)
    return _CONTEXT.exp(interval)


def _positive(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function`` on an interval that lies wholly above zero (log's domain)."""

    def apply(interval: Any) -> Any:
        if not interval.a > 0:
            raise _NotEnclosedError(interval)
        return function(interval)

    return apply


#: Largest magnitude at which a function made of exp is evaluated at an interval's end: beyond it
#: mpmath spends long on exp(10**400), and the values leave float64's range (or softplus's are exact).
EXP_LIKE_LIMIT: Final = 10**6
#: mpmath's ordinary arithmetic, in a context of its own, for functions evaluated at an interval's ends.
_POINTWISE: Final = mpmath.mp.__class__()


def _monotone(
    function: Callable[[Any, Any], Any],
    *,
    increasing: bool = True,
    above: float | None = None,
    below: float | None = None,
    closed: bool = True,
    exp_like: bool = False,
) -> Callable[[Any], Any]:
    """A monotone function of an interval, from its values at the ends, widened by a few units.

    ``function(context, value)`` computes it in mpmath at the interval's
    precision and 16 bits more; the result is then widened by 2**-120 of
    itself (at 128 bits), far more than mpmath's error at that precision. The
    interval must lie within [above, below] (or the open interval when not
    ``closed``), the function's domain; for a function made of exp
    (``exp_like``), within :data:`EXP_LIKE_LIMIT` of 0.
    """

    def apply(interval: Any) -> Any:
        low, high = interval.a, interval.b
        if exp_like and not (low >= -EXP_LIKE_LIMIT and high <= EXP_LIKE_LIMIT):
            raise _NotEnclosedError(interval)
        if above is not None and not (low >= above if closed else low > above):
            raise _NotEnclosedError(interval)
        if below is not None and not (high <= below if closed else high < below):
            raise _NotEnclosedError(interval)
        _POINTWISE.prec = _CONTEXT.prec + GUARD_BITS
        ends = [function(_POINTWISE, _POINTWISE.make_mpf(end)) for end in interval._mpi_]
        if not all(isinstance(end, _POINTWISE.mpf) for end in ends):
            raise _NotEnclosedError(interval)  # a complex value: outside the real domain after all
        first, last = ends if increasing else ends[::-1]
        return _CONTEXT.make_mpf((first._mpf_, last._mpf_)) * _widening(_CONTEXT.prec)

    return apply


@functools.cache
def _widening(bits: int) -> Any:
    """The interval [1 - u, 1 + u], u = 2**(8 - bits), from exact ends (mpmath.mpf would round them)."""
    unit = libmp.from_man_exp(1, 8 - bits)
    return _CONTEXT.make_mpf(
        (
            libmp.mpf_sub(libmp.fone, unit, 2 * bits, libmp.round_floor),
            libmp.mpf_add(libmp.fone, unit, 2 * bits, libmp.round_ceiling),
        )
    )


def _cosh(interval: Any) -> Any:
    """cosh, which falls to 1 at 0 and rises on either side."""
    if interval.a >= 0:
        return _COSH_RISING(interval)
    if interval.b <= 0:
        return _COSH_RISING(-interval)
    return _COSH_RISING(_CONTEXT.mpf([0, max(-interval.a, interval.b)]))


def _cos_and_sin(interval: Any) -> tuple[Any, Any]:
    """mpmath's cos and sin of an interval (each computes both), kept for the other one's turn.

    A sine's derivative is a cosine of the same argument: the value and the
    derivative at a point then cost one computation, not two.
    """
    key = (interval._mpi_, _CONTEXT.prec)
    both = _COS_SIN.get(key)
    if both is None:
        if len(_COS_SIN) >= MAX_RECENT:
            _COS_SIN.clear()
        both = _COS_SIN[key] = libmp.mpi_cos_sin(interval._mpi_, _CONTEXT.prec)
    return both


#: Recent intervals' cos and sin (mpi pairs), by the interval's ends and precision.
_COS_SIN: Final[dict[tuple[Any, int], tuple[Any, Any]]] = {}


def _cos(interval: Any) -> Any:
    """cos of an interval, as mpmath's interval context computes it."""
    return _CONTEXT.make_mpf(_cos_and_sin(interval)[0])


def _sin(interval: Any) -> Any:
    """sin of an interval, as mpmath's interval context computes it."""
    return _CONTEXT.make_mpf(_cos_and_sin(interval)[1])


def _reciprocal(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """1/function (an interval holding 0 gives an infinite one, which decides nothing)."""
    return lambda interval: 1 / function(interval)


def _of_reciprocal(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """function(1/x), for an interval that does not hold 0 (SymPy's acot, asec, acsc)."""

    def apply(interval: Any) -> Any:
        if not (interval.a > 0 or interval.b < 0):
            raise _NotEnclosedError(interval)
        return function(1 / interval)

    return apply


_COSH_RISING: Final = _monotone(lambda context, value: context.cosh(value), above=0, exp_like=True)
_SINH: Final = _monotone(lambda context, value: context.sinh(value), exp_like=True)
_TANH: Final = _monotone(lambda context, value: context.tanh(value))
_ASIN: Final = _monotone(lambda context, value: context.asin(value), above=-1, below=1)
_ACOS: Final = _monotone(lambda context, value: context.acos(value), increasing=False, above=-1, below=1)
_ATAN: Final = _monotone(lambda context, value: context.atan(value))
_SOFTPLUS: Final = _monotone(lambda context, value: context.log1p(context.exp(value)), exp_like=True)


#: SymPy's functions of one argument enclosed here: mpmath's interval ones, and monotone ones from the
#: values at the ends (mpmath's interval context has no tanh, atan, asin, ...).
_FUNCTIONS: Final[dict[type, Callable[[Any], Any]]] = {
    sympy.exp: _exp,
    sympy.log: _positive(_CONTEXT.log),
    sympy.sin: _sin,
    sympy.cos: _cos,
    sympy.tan: _CONTEXT.tan,
    sympy.cot: lambda interval: _cos(interval) / _sin(interval),
    sympy.sec: _reciprocal(_cos),
    sympy.csc: _reciprocal(_sin),
    sympy.asin: _ASIN,
    sympy.acos: _ACOS,
    sympy.atan: _ATAN,
    sympy.acot: _of_reciprocal(_ATAN),
    sympy.asec: _of_reciprocal(_ACOS),
    sympy.acsc: _of_reciprocal(_ASIN),
    sympy.sinh: _SINH,
    sympy.cosh: _cosh,
    sympy.tanh: _TANH,
    sympy.csch: _reciprocal(_SINH),
    sympy.sech: _reciprocal(_cosh),
    sympy.coth: _reciprocal(_TANH),
    sympy.asinh: _monotone(lambda context, value: context.asinh(value)),
    sympy.acosh: _monotone(lambda context, value: context.acosh(value), above=1),
    sympy.atanh: _monotone(lambda context, value: context.atanh(value), above=-1, below=1, closed=False),
    sympy.erf: _monotone(lambda context, value: context.erf(value)),
    sympy.Abs: abs,
    expm1: _monotone(lambda context, value: context.expm1(value), exp_like=True),
    log1p: _monotone(lambda context, value: context.log1p(value), above=-1, closed=False),
    sigmoid: _monotone(lambda context, value: 1 / (1 + context.exp(-value)), exp_like=True),
    softplus: _SOFTPLUS,
    logsigmoid: lambda interval: -_SOFTPLUS(-interval),
}
