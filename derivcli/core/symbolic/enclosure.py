"""The float64 nearest a real constant, proved by interval arithmetic: a fast path, or no answer.

SymPy's ``evalf`` reaches 30 correct digits by adaptive precision and then
splits real and imaginary parts; for a constant such as
``251/25 - 12*tanh(147/50)**2`` that costs several times more than the
substitution that produced it. Here the constant is enclosed instead in an
interval of 128-bit endpoints that certainly holds its value. When both ends
round to the same float64, that float is the correctly rounded value, with
no guess about cancellation. When they do not (a value at or near zero, very
close to halfway between two floats, outside float64's normal range, or made
of parts not enclosed here), there is no answer and the caller takes SymPy's
way.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import mpmath
import sympy
from mpmath import libmp

#: Bits of the interval's endpoints at first: far more than float64's 53, so almost every value is decided.
PRECISION_BITS: Final = 128
#: Most bits tried, four times more at each try, when cancellation leaves the interval undecided
#: (exp(10**-300) - 1 needs over a thousand); a value still undecided then is left to SymPy.
MAX_PRECISION_BITS: Final = 8192
#: Extra bits for functions computed at each end of an interval; the result is then widened by a few
#: units of the interval's precision, which covers mpmath's own error (under one unit at the extra bits).
GUARD_BITS: Final = 16

#: mpmath's interval arithmetic, in a context of its own (its precision is set for each try).
_CONTEXT: Final = mpmath.iv.__class__()
#: Bits of 30 decimal digits, the precision of SymPy's evalf(30).
_DIGITS_BITS: Final = libmp.dps_to_prec(30)


class _NotEnclosedError(Exception):
    """A part of the constant that this module does not enclose (or whose enclosure is not real)."""


@dataclass(frozen=True, slots=True)
class Enclosed:
    """A real constant's correctly rounded float64, and 30 digits of it."""

    value: float
    digits: sympy.Float


def enclosed_float(constant: sympy.Expr) -> Enclosed | None:
    """The float64 nearest a real constant when an interval proves it; None when it cannot."""
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
            if low in _NOT_FINITE or high in _NOT_FINITE or _out_of_range(low, high):
                return None
            decided = _decided(low, high)
            if decided is not None:
                return decided
            bits *= 4
    finally:
        _CONTEXT.prec = PRECISION_BITS
    return None


def _out_of_range(low: tuple[Any, ...], high: tuple[Any, ...]) -> bool:
    """True when no precision can help: the interval lies beyond float64, or below its normal numbers."""
    beyond = _to_float64(low) == math.inf or _to_float64(high) == -math.inf
    return beyond or abs(_to_float64(low)) < sys.float_info.min > abs(_to_float64(high))


def _decided(low: tuple[Any, ...], high: tuple[Any, ...]) -> Enclosed | None:
    """The float64 that every number of the interval rounds to, if there is one in float64's normal range."""
    nearest = _to_float64(low)
    if nearest != _to_float64(high) or not sys.float_info.min <= abs(nearest) < math.inf:
        # Undecided, zero or straddling it, subnormal (rounded twice by the conversion), or beyond float64.
        return None
    middle = libmp.mpf_shift(libmp.mpf_add(low, high, _CONTEXT.prec + 1), -1)
    digits = sympy.Float._new(libmp.mpf_pos(middle, _DIGITS_BITS, libmp.round_nearest), _DIGITS_BITS)
    return Enclosed(nearest, digits)


_NOT_FINITE: Final = (libmp.fnan, libmp.finf, libmp.fninf)


def _to_float64(end: tuple[Any, ...]) -> float:
    """An endpoint rounded to nearest at 53 bits, then converted exactly."""
    return float(libmp.to_float(libmp.mpf_pos(end, 53, libmp.round_nearest)))


def _enclose(node: sympy.Expr) -> Any:
    """An interval that holds the value of a constant expression, or _NotEnclosedError."""
    if node.is_Rational:
        return _CONTEXT.mpf(int(node.p)) / int(node.q)
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
    return _CONTEXT.exp(_enclose(exponent) * _CONTEXT.log(enclosed_base))


#: exp of arguments beyond these is beyond float64's normal range: mpmath would still spend long on them.
EXP_RANGE: Final = (-710, 710)


def _exp(interval: Any) -> Any:
    """exp of an interval, refused where it leaves float64's range (exp(10**400) takes mpmath seconds)."""
    if not EXP_RANGE[0] < interval.a and interval.b < EXP_RANGE[1]:
        raise _NotEnclosedError(interval)
    return _CONTEXT.exp(interval)


def _positive(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function`` on an interval that lies wholly above zero (log's domain)."""

    def apply(interval: Any) -> Any:
        if not interval.a > 0:
            raise _NotEnclosedError(interval)
        return function(interval)

    return apply


def _increasing(function: Callable[..., tuple[Any, ...]]) -> Callable[[Any], Any]:
    """An increasing function, from mpmath's fixed-precision one at each end, widened by a few units."""

    def apply(interval: Any) -> Any:
        low, high = interval._mpi_
        working = _CONTEXT.prec + GUARD_BITS
        ends = (function(low, working, libmp.round_floor), function(high, working, libmp.round_ceiling))
        return _CONTEXT.make_mpf(ends) * _widening(_CONTEXT.prec)

    return apply


@functools.cache
def _widening(bits: int) -> Any:
    """The interval [1 - u, 1 + u], u four units at ``bits``, from exact ends (mpmath.mpf rounds)."""
    unit = libmp.from_man_exp(1, 2 - bits)
    return _CONTEXT.make_mpf(
        (
            libmp.mpf_sub(libmp.fone, unit, 2 * bits, libmp.round_floor),
            libmp.mpf_add(libmp.fone, unit, 2 * bits, libmp.round_ceiling),
        )
    )


def _tanh(end: tuple[Any, ...], precision: int, rounding: str) -> tuple[Any, ...]:
    """tanh of one end (mpmath has no interval tanh)."""
    return libmp.mpf_cosh_sinh(end, precision, rounding, tanh=1)  # type: ignore[no-any-return]


#: SymPy's functions enclosed here: mpmath's interval ones, and increasing ones evaluated at both ends.
_FUNCTIONS: Final[dict[type, Callable[[Any], Any]]] = {
    sympy.exp: _exp,
    sympy.log: _positive(_CONTEXT.log),
    sympy.sin: _CONTEXT.sin,
    sympy.cos: _CONTEXT.cos,
    sympy.tan: _CONTEXT.tan,
    sympy.tanh: _increasing(_tanh),
    sympy.atan: _increasing(libmp.mpf_atan),
    sympy.asinh: _increasing(libmp.mpf_asinh),
    sympy.erf: _increasing(libmp.mpf_erf),
}
