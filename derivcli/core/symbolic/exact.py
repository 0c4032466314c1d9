"""Exact values at points: by substitution, rounded once from high precision, never through torch."""

from __future__ import annotations

import enum
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

import mpmath
import sympy
from mpmath import libmp

from derivcli.core.symbolic.budget import OutOfTimeError, time_budget
from derivcli.core.symbolic.build import constant
from derivcli.core.symbolic.constant_text import constant_text
from derivcli.core.symbolic.enclosure import FLOAT32, FLOAT64, enclosed_float
from derivcli.core.symbolic.substitution import substituted_exactly
from derivcli.core.symbolic.walk import any_node
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.setup import DType
from derivcli.parsing.numbers import MAX_EXACT_BITS
from derivcli.parsing.points import Assignment, reanchor
from derivcli.worker.cache import MAX_CACHED_CHARACTERS, sized_cache

#: Substituting into powers with larger integer exponents is done in high precision, not exactly.
MAX_EXACT_EXPONENT: Final = 10_000
#: What one expression's powers count for in the cache: the latest 256 expressions are remembered (its
#: keys are the expressions, which can be megabytes each; the symbolic cache holds them meanwhile).
POWERS_WEIGHT: Final = MAX_CACHED_CHARACTERS // 256
#: Decimal digits used for high-precision evaluation before rounding to float.
EVALF_DIGITS: Final = 30
#: Most working digits tried when cancellation defeats evalf (log(1 + 1e-300) needs over 300).
MAX_WORKING_DIGITS: Final = 3_840
#: Most digits :func:`rounded_once` raises precision to while the rounded float keeps changing.
MAX_STABLE_DIGITS: Final = 480


def evalf(value: sympy.Expr, digits: int = EVALF_DIGITS, *, strict: bool = False) -> sympy.Expr:
    """``value.evalf(digits)``, retried with more working digits where cancellation divides by zero.

    SymPy evaluates log(1 + 10**-300) as log(1) = 0 at 30 digits, and then
    fails dividing by it; with enough digits the same value is exact to 30.
    """
    working = digits
    while True:
        try:
            result = value.evalf(working, strict=strict)
        except ZeroDivisionError:
            working *= 2
            if working > MAX_WORKING_DIGITS:
                raise DerivError(
                    ErrorKind.UNSUPPORTED,
                    f"{_short(value)} cannot be evaluated: its digits cancel beyond"
                    f" {MAX_WORKING_DIGITS:,} decimal places",
                ) from None
            continue
        return result if working == digits else result.evalf(digits)


def _short(value: sympy.Expr) -> str:
    """A value's text, cut to a readable length for a message."""
    text = str(value)
    return text if len(text) <= 60 else f"{text[:60]}..."


class ValueStatus(enum.StrEnum):
    """What kind of number an exact evaluation produced."""

    FINITE = "finite"
    INFINITE = "infinite"
    UNDEFINED = "undefined"
    NOT_REAL = "not-real"
    DIRAC_DELTA = "dirac-delta"
    OVERFLOW = "overflow"


@dataclass(frozen=True, slots=True)
class ExactValue:
    """An exact value (as SymPy prints it, or None when too large to form) and its float."""

    exact: str | None
    value: float
    status: ValueStatus
    high_precision: sympy.Expr | None


def point_value(assignment: Assignment, *, name: str) -> sympy.Expr:
    """The exact value of a point's coordinate: a finite real number that float64 can hold."""
    try:
        value = constant(assignment.value)
    except DerivError as error:
        raise reanchor(
            error, spec=assignment.spec, offset=assignment.offset, option=assignment.option
        ) from None
    if value.is_Rational:
        # The common case, a number: finite and real; Python's division says whether float64 holds it.
        try:
            value.p / value.q
        except OverflowError:
            raise assignment.refuse(ErrorKind.BAD_NUMBER, name, "overflows float64") from None
        return value
    if value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise assignment.refuse(ErrorKind.BAD_NUMBER, name, "is not a finite number")
    approx = evalf(value)
    real, imaginary = approx.as_real_imag()
    if imaginary != 0 or not real.is_Number:
        raise assignment.refuse(ErrorKind.BAD_POINT, name, "is not a real number")
    if not math.isfinite(float(real)):
        raise assignment.refuse(ErrorKind.BAD_NUMBER, name, "overflows float64")
    return value


def round_to_bits(value: sympy.Expr, bits: int, *, digits: int = EVALF_DIGITS) -> float:
    """Round an exact real value to the nearest float with ``bits`` of mantissa (53 or 24).

    Rounding once from high precision avoids the double rounding of going
    through float64 on the way to float32.
    """
    if value.is_Rational:
        # Exact already: rounded once, straight from p/q (Python's division rounds correctly, subnormals too).
        if bits == 53:
            try:
                return int(value.p) / int(value.q)
            except OverflowError:
                return math.inf if value.p > 0 else -math.inf
        rounded = libmp.from_rational(int(value.p), int(value.q), bits, libmp.round_nearest)
        return float(libmp.to_float(rounded))
    approx = sympy.Float(evalf(value, digits), digits)
    with mpmath.workprec(bits):
        rounded = +mpmath.mpf(approx._mpf_)
    return float(rounded)


def to_dtype(value: sympy.Expr, dtype: str, *, digits: int = EVALF_DIGITS) -> float:
    """The nearest float32 or float64 to an exact real value (inf when out of range), as a Python float."""
    bits = DType(dtype).significand_bits
    if dtype == DType.float64:
        return round_to_bits(value, bits, digits=digits)
    nearest = round_to_bits(value, bits, digits=digits)
    try:
        # Packing applies float32's exponent range: overflow raises, tiny values go subnormal or 0.
        return float(struct.unpack("f", struct.pack("f", nearest))[0])
    except OverflowError:
        return math.copysign(math.inf, nearest)


def rounded_once(value: sympy.Expr, dtype: str) -> float:
    """An exact real value rounded once to the dtype, precision raised until the rounding is stable.

    30 digits settle almost every value; one that lies very close to halfway
    between two floats needs more, and gets them (up to 480 digits).
    """
    if value.is_Rational:
        # Exact already: one rounding at enough digits to separate any tie from its neighbours.
        digits = max(EVALF_DIGITS, 2 * len(str(max(abs(value.p), value.q))))
        return to_dtype(value, dtype, digits=min(digits, MAX_WORKING_DIGITS))
    enclosed = enclosed_float(value, FLOAT64 if dtype == DType.float64 else FLOAT32)
    if enclosed is not None:
        # Proved by an interval; what follows raises evalf's digits until its rounding stops moving.
        return enclosed.value
    digits = EVALF_DIGITS
    rounded = to_dtype(value, dtype, digits=digits)
    # A 0 from a non-zero expression is no proof: log(1 + 1e-76) is 0 at 30 and at 60 digits.
    unproved_zero = value.is_zero is not True
    while digits < MAX_STABLE_DIGITS:
        digits *= 2
        again = to_dtype(value, dtype, digits=digits)
        settled = again == rounded and not (again == 0 and unproved_zero)
        if settled or (math.isnan(again) and math.isnan(rounded)):
            return again
        rounded = again
    return rounded


def rational_of_float(number: float) -> sympy.Rational:
    """The exact rational value of a float."""
    fraction = Fraction(number)
    return sympy.Rational(fraction.numerator, fraction.denominator)


def evaluate_at(expr: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]) -> ExactValue:
    """The exact value of ``expr`` at ``point`` and its correctly rounded float64."""
    if _has_huge_power(expr, point):
        # 3**(10**10) has billions of digits: evaluate in high precision instead.
        approx = expr.evalf(EVALF_DIGITS, subs=dict(point))
        return _classify(approx, exact=None)
    try:
        # A polynomial at a rational point is one fraction here, its plan made once per expression.
        exact = substituted_exactly(expr, point)
    except (ValueError, TypeError):
        # max(1, (-2)**0.5): SymPy refuses to order a complex argument.
        return ExactValue(None, math.nan, ValueStatus.NOT_REAL, None)
    if _too_many_digits(exact):
        # x**9999 at 1e300 is exact, but its millions of digits are no use to print: keep 30.
        return _classify(evalf(exact), exact=None)
    return _classify(exact, exact=exact_text(exact))


#: How an exact value that is SymPy's complex infinity (1/0, log(0)) is written: "zoo" is SymPy's jargon.
COMPLEX_INFINITY_TEXT: Final = "undefined (complex infinity)"


def exact_text(value: sympy.Expr) -> str:
    """An exact value as text; SymPy's complex infinity in words."""
    return COMPLEX_INFINITY_TEXT if value is sympy.zoo else constant_text(value)


def _too_many_digits(value: sympy.Expr) -> bool:
    """True when an exact number in ``value`` has more bits than deriv writes out."""
    return any_node(
        value,
        lambda node: (
            bool(node.is_Rational) and max(abs(node.p).bit_length(), node.q.bit_length()) > MAX_EXACT_BITS
        ),
    )


def substituted(expr: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]) -> sympy.Expr:
    """``expr`` at ``point``: exact, or in 60 digits where an exact power would be enormous (2**x at 1e20)."""
    if _has_huge_power(expr, point):
        return expr.evalf(2 * EVALF_DIGITS, subs=dict(point))
    return expr.xreplace(dict(point))


def _has_huge_power(expr: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]) -> bool:
    """True when substituting the point would build an enormous exact power (x**99999, 2**x at 1e20)."""
    huge, variable_exponents = _powers_to_watch(expr)
    return huge or any(_is_huge(exponent.xreplace(dict(point))) for exponent in variable_exponents)


@sized_cache(lambda *_: POWERS_WEIGHT)
def _powers_to_watch(expr: sympy.Expr) -> tuple[bool, tuple[sympy.Expr, ...]]:
    """Whether a power of a variable has a huge constant exponent; and the exponents that hold variables.

    Cached: a batch evaluates the same expression at many points, and the
    walk over its powers would otherwise be repeated at each.
    """
    huge = False
    variable_exponents = []
    for power in expr.atoms(sympy.Pow):
        if power.exp.free_symbols:
            variable_exponents.append(power.exp)
        elif power.base.free_symbols:
            huge = huge or _is_huge(power.exp)
    return huge, tuple(variable_exponents)


def _is_huge(exponent: sympy.Expr) -> bool:
    return bool(exponent.is_Rational and abs(exponent) > MAX_EXACT_EXPONENT)


def numeric_value(value: sympy.Expr) -> sympy.Expr:
    """A constant in 30 digits; a sum that cancels to exactly 0 is 0, not rounding noise.

    evalf cannot always tell that sin(1)**2 + cos(1)**2 - 1 is zero: it
    returns a tiny number with no correct digit. strict evaluation detects
    that, and a bounded simplify then decides.
    """
    try:
        # strict evaluation may raise precision a long way on a complex value: bound it too.
        with time_budget(1.0):
            return evalf(value, strict=True)
    except sympy.core.evalf.PrecisionExhausted:
        try:
            with time_budget(1.0):
                if sympy.simplify(value) == 0:
                    return sympy.Float(0)
        except OutOfTimeError:
            pass
    except OutOfTimeError:
        pass
    return evalf(value)


def real_and_imaginary(value: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """30-digit real and imaginary parts of a constant, or None when they take too long.

    Splitting an unevaluated complex power can send SymPy into simplify
    for minutes, hence the budget.
    """
    try:
        number = numeric_value(value)
    except (AttributeError, TypeError):
        # hypot(acos(2), 1): SymPy hands a complex number to a real-only mpmath function.
        return None
    try:
        with time_budget(1.0):
            real, imaginary = number.as_real_imag()
    except OutOfTimeError:
        return None
    return real, imaginary


def _classify(value: sympy.Expr, *, exact: str | None) -> ExactValue:
    """Sort an evaluated expression into finite, infinite, undefined, complex or delta."""
    if value.is_Rational:
        # The common case (a polynomial at a rational point): exact, and Python rounds p/q correctly.
        try:
            return ExactValue(exact, value.p / value.q, ValueStatus.FINITE, value)
        except OverflowError:
            pass
    # Most constants are decided here, proved by an interval, at a fraction of evalf's cost.
    enclosed = enclosed_float(value)
    if enclosed is not None:
        return ExactValue(exact, enclosed.value, ValueStatus.FINITE, enclosed.digits)
    if value.has(sympy.nan):
        return ExactValue(exact, math.nan, ValueStatus.UNDEFINED, None)
    if value == sympy.oo:
        return ExactValue(exact, math.inf, ValueStatus.INFINITE, None)
    if value == -sympy.oo:
        return ExactValue(exact, -math.inf, ValueStatus.INFINITE, None)
    if value.has(sympy.zoo, sympy.oo):
        return ExactValue(exact, math.nan, ValueStatus.INFINITE, None)
    if value.has(sympy.DiracDelta):
        return ExactValue(exact, math.nan, ValueStatus.DIRAC_DELTA, None)
    parts = real_and_imaginary(value)
    if parts is None:
        return ExactValue(exact, math.nan, ValueStatus.UNDEFINED, None)
    real, imaginary = parts
    if imaginary != 0 and not (
        imaginary.is_Number and real.is_Number and abs(imaginary) <= abs(real) * 1e-25
    ):
        return ExactValue(exact, math.nan, ValueStatus.NOT_REAL, None)
    if not real.is_Number:
        return ExactValue(exact, math.nan, ValueStatus.UNDEFINED, None)
    as_float = float(real)
    # A finite number beyond float64's range rounds to an infinity, but is not infinite.
    status = ValueStatus.FINITE if math.isfinite(as_float) else ValueStatus.OVERFLOW
    return ExactValue(exact, as_float, status, real)
