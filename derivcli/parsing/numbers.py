"""Exact numbers and their size limits: literals as Fractions, and powers too large to compute.

Bounds are checked on digits and on estimated bit counts, before any big
integer is built.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Final

from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.tree import Negate, Node, Number, Power, Product, Sum

MAX_SIGNIFICANT_DIGITS: Final = 1_000
#: Exact integers and rationals larger than this many bits are refused (about 30,000 digits).
MAX_EXACT_BITS: Final = 100_000
# Literals must be finite, non-zero-rounding float64 values; these bounds on the
# decimal exponent are checked before any big integer is built.
_MAX_DECIMAL_MAGNITUDE: Final = 310
_MIN_DECIMAL_MAGNITUDE: Final = -325


def too_large(text: str, bits: float, *, source: str, column: int) -> DerivError:
    """The error for a constant power whose exact value would have ``bits`` bits."""
    digits = bits * math.log10(2)
    size = f"about {digits:.3g} digits" if math.isfinite(digits) else "more digits than a float can count"
    limit = int(MAX_EXACT_BITS * math.log10(2))
    return DerivError(
        ErrorKind.TOO_LARGE,
        f"{text!r} is too large to compute exactly ({size}; the limit is {limit:,})",
        source=source,
        column=column,
        length=len(text),
    )


def power_bits(power: Power) -> float | None:
    """About how many bits the exact value of a power of plain numbers has (None if not plain)."""
    base = _log2_magnitude(power.base)
    exponent = _log2_magnitude(power.exponent)
    if base is None or exponent is None:
        return None
    if base == -math.inf or exponent == -math.inf:
        return 0.0  # 0**e or b**0
    if exponent > 1000:
        return math.inf if base != 0 else 0.0
    return abs(base) * math.pow(2.0, exponent)


def _log2_magnitude(node: Node) -> float | None:
    """An estimate of log2 of the absolute value of a tree of plain numbers (None otherwise).

    Generous on purpose (sums count as their largest term times their length):
    it only has to catch towers like 9**9**9 before anything computes them.
    """
    if isinstance(node, Number):
        if node.value == 0:
            return -math.inf
        return math.log2(abs(node.value.numerator)) - math.log2(node.value.denominator)
    if isinstance(node, Negate):
        return _log2_magnitude(node.operand)
    if isinstance(node, (Sum, Product)):
        items = node.terms if isinstance(node, Sum) else node.factors
        logs = [_log2_magnitude(item) for _, item in items]
        if any(value is None for value in logs):
            return None
        known = [value for value in logs if value is not None]
        if isinstance(node, Sum):
            return max(known) + math.log2(len(known))
        return float(
            sum(-value if divide else value for (divide, _), value in zip(items, known, strict=True))
        )
    if isinstance(node, Power):
        bits = power_bits(node)
        if bits is None:
            return None
        base = _log2_magnitude(node.base)
        return bits if base is not None and base >= 0 else -bits
    return None


def exact_number(literal: str, *, source: str, column: int, length: int) -> Fraction:
    """The exact value of a decimal literal, refusing what float64 cannot hold.

    Bounds are checked on the digits before any big integer is made, so that
    ``1e999999999`` costs nothing.
    """
    digits = literal.replace("_", "").lower()
    mantissa, _, exponent_text = digits.partition("e")
    whole, _, fraction_digits = mantissa.partition(".")

    # A literal of thousands of digits is named by its start and its length.
    shown = repr(literal) if len(literal) <= 40 else f"'{literal[:20]}...' ({len(literal):,} characters)"

    def refuse(reason: str) -> DerivError:
        return DerivError(
            ErrorKind.BAD_NUMBER,
            f"number {shown} {reason}",
            source=source,
            column=column,
            length=length,
        )

    all_digits = whole + fraction_digits
    significant = all_digits.lstrip("0")
    if not significant:
        return Fraction(0)
    if len(exponent_text.lstrip("+-0")) > 6:
        raise refuse("is out of float64 range")
    exponent = int(exponent_text) if exponent_text else 0
    # Decimal position of the leading significant digit, relative to the point.
    magnitude = len(all_digits) - len(significant) - len(whole)
    leading_exponent = exponent - magnitude - 1
    if leading_exponent > _MAX_DECIMAL_MAGNITUDE:
        raise refuse("is too large: it overflows float64")
    if leading_exponent < _MIN_DECIMAL_MAGNITUDE:
        raise refuse("is too small: it underflows float64 to zero")
    if len(significant) > MAX_SIGNIFICANT_DIGITS:
        raise refuse(f"has more than {MAX_SIGNIFICANT_DIGITS} significant digits")
    value = Fraction(int(all_digits)) * Fraction(10) ** (exponent - len(fraction_digits))
    try:
        as_float = float(value)
    except OverflowError:
        raise refuse("is too large: it overflows float64") from None
    if as_float == 0.0:
        raise refuse("is too small: it underflows float64 to zero")
    return value
