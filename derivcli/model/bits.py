"""Floating-point error in bits, and the frozen results of ``--bits``: culprits and rewrites.

The measure is Herbie's: the error of a computed float against the exact value
rounded once to the same dtype is log2(1 + the number of floats between them).
Plain Python (``struct``), so that reports stay light.
"""

from __future__ import annotations

import enum
import math
import struct
from dataclasses import dataclass
from typing import Final

from derivcli.model.setup import DType

#: Bits below which a witness is taken to lose nothing worth explaining (a couple of ulps).
NEGLIGIBLE_BITS: Final = 2.0
#: Bits a rewrite must save at the point to be listed: less is noise.
MEASURABLE_SAVING: Final = 1.0


class Pass(enum.StrEnum):
    """Whether an operation belongs to the forward computation or to autograd's backward one."""

    FORWARD = "forward"
    BACKWARD = "backward"


class LossKind(enum.StrEnum):
    """Why an operation loses bits."""

    CANCELLATION = "cancellation"
    OVERFLOW = "overflow"
    UNDERFLOW = "underflow"
    ZERO_TIMES_INF = "0*inf"
    INF_OVER_INF = "inf/inf"
    INF_MINUS_INF = "inf-inf"
    DOMAIN = "domain"
    ROUNDING = "rounding"


@dataclass(frozen=True, slots=True)
class Culprit:
    """The operation with the largest local error: its text, why, and the autograd node it belongs to."""

    operation: str
    kind: LossKind
    node: str
    local_bits: float
    pass_: Pass


@dataclass(frozen=True, slots=True)
class Bits:
    """Bits of error of autograd and of the symbolic derivative in the dtype (None: no exact number)."""

    autograd: float | None
    symbolic: float | None
    culprit: Culprit | None


@dataclass(frozen=True, slots=True)
class Rewrite:
    """An equal expression whose autograd derivative loses fewer bits here."""

    expression: str
    autograd: float
    bits: float
    #: Where a rewrite holds only near a point (a series branch), e.g. "|x| < 0.0002"; None: everywhere.
    where: str | None = None


@dataclass(frozen=True, slots=True)
class BitsSummary:
    """Bits lost by one witness over a grid: the largest (and where), and the mean."""

    max: float
    mean: float
    max_at: tuple[tuple[str, float], ...]
    measured: int


def max_bits(dtype: str) -> float:
    """The most bits a value can lose: the width of the dtype (64 or 32)."""
    return 64.0 if DType(dtype) is DType.float64 else 32.0


def ordinal(value: float, dtype: str) -> int:
    """The float's position among all floats of the dtype, with 0 and -0 at the same place."""
    raw: int
    if DType(dtype) is DType.float64:
        (raw,) = struct.unpack("<q", struct.pack("<d", value))
        sign_mask = 0x7FFF_FFFF_FFFF_FFFF
    else:
        (raw,) = struct.unpack("<i", struct.pack("<f", value))
        sign_mask = 0x7FFF_FFFF
    return raw if raw >= 0 else -(raw & sign_mask)


def bits_between(computed: float, exact: float, dtype: str, *, exact_is_number: bool) -> float:
    """Herbie's error: log2(1 + floats between ``computed`` and the correctly rounded ``exact``.

    ``exact`` is the exact value already rounded once to the dtype (it may be
    inf when the number is beyond the dtype's range). A nan, or an infinity
    where the exact value is a finite number, counts as the most there is.
    """
    if math.isnan(computed) or math.isnan(exact):
        return max_bits(dtype)
    if math.isinf(computed):
        return 0.0 if (computed == exact and not exact_is_number) else max_bits(dtype)
    if math.isinf(exact) and not exact_is_number:
        return max_bits(dtype)
    return min(max_bits(dtype), math.log2(1 + abs(ordinal(computed, dtype) - ordinal(exact, dtype))))


def shown_bits(bits: float) -> float:
    """Bits to one decimal, as reported."""
    return round(bits, 1)
