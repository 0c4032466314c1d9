"""How a computation is set up (device, dtype, tolerances, time budget), decided and checked once.

The command line and ``deriv batch`` both build a :class:`Setup` here, so each
option is checked in one place. This module is read while the command line
builds its options, for every command including ``--help``: it imports
nothing but the error family.
"""

from __future__ import annotations

import enum
import math
import re
import sys
from collections.abc import Mapping
from typing import Final, NamedTuple

from derivcli.errors import DerivError, ErrorKind

#: Points per axis of ``deriv grid`` when ``--num`` is not given: odd, so that a range symmetric
#: about 0 has 0 on the grid (where relu and abs have their kinks).
DEFAULT_NUM: Final = 101

#: Default time budget of the symbolic steps of one command or batch line, in seconds.
DEFAULT_TIMEOUT: Final = 10.0
#: Longest budget accepted: a day.
MAX_TIMEOUT: Final = 86_400.0
#: Default time budget of --simplify, in seconds.
DEFAULT_SIMPLIFY_TIMEOUT: Final = 5.0

#: Devices deriv accepts; whether one is available is asked of torch later.
DEVICE_PATTERN: Final = re.compile(r"cpu|auto|mps|cuda(:\d+)?")
#: Device names offered by shell completion.
DEVICE_NAMES: Final = ("cpu", "cuda", "mps", "auto")


class Mode(enum.StrEnum):
    """Which command asked: ``eval`` one variable, ``partial`` several, ``hessian`` every second partial."""

    EVAL = "eval"
    PARTIAL = "partial"
    HESSIAN = "hessian"


class DType(enum.StrEnum):
    """Floating-point types autograd can run in: the one vocabulary of options, batch lines and the core."""

    float64 = "float64"
    float32 = "float32"

    @classmethod
    def named(cls, name: object, *, option: str) -> DType:
        """The dtype called ``name``, or a DerivError that lists the choices."""
        if isinstance(name, str) and name in cls.__members__:
            return cls(name)
        choices = ", ".join(member.value for member in cls)
        raise DerivError(ErrorKind.BAD_OPTION, f"{option} must be one of {choices}, got {name!r}")

    @property
    def tolerance(self) -> Tolerance:
        """The default tolerance of this dtype."""
        return DEFAULT_TOLERANCES[self]

    @property
    def significand_bits(self) -> int:
        """Bits of precision, the implicit leading bit included: 53 for float64, 24 for float32."""
        return 53 if self is DType.float64 else 24

    @property
    def largest(self) -> float:
        """The largest finite value (float32's written out, so that no torch or numpy is needed)."""
        return sys.float_info.max if self is DType.float64 else 3.4028234663852886e38


# Tolerance and Setup are NamedTuples, not dataclasses: every start of deriv, --help included, defines
# them, and a NamedTuple costs a tenth of a dataclass to define. Both are just as immutable.
class Tolerance(NamedTuple):
    """Agreement holds when ``|autograd - exact| <= atol + rtol * |exact|``."""

    rtol: float
    atol: float


#: Defaults per dtype: loose enough for a few hundred rounding errors in a long
#: chain of ops, tight enough to catch any wrong derivative formula.
DEFAULT_TOLERANCES: Final[Mapping[DType, Tolerance]] = {
    DType.float64: Tolerance(rtol=1e-9, atol=1e-12),
    DType.float32: Tolerance(rtol=1e-5, atol=1e-6),
}


def check_timeout(seconds: float, *, option: str = "--timeout") -> float:
    """Refuse a time budget that is not a finite number of seconds above zero (and at most a day)."""
    if not (0 < seconds <= MAX_TIMEOUT):
        raise DerivError(
            ErrorKind.BAD_OPTION,
            f"{option} must be a number of seconds above 0 and at most {MAX_TIMEOUT:,.0f}, got {seconds:g}",
        )
    return seconds


def check_device(spec: str) -> str:
    """Refuse a malformed device name without importing torch."""
    if not DEVICE_PATTERN.fullmatch(spec):
        raise DerivError(ErrorKind.BAD_OPTION, f"unknown device {spec!r}: use cpu, cuda, cuda:N, mps or auto")
    return spec


def check_tolerance(value: float | None, *, option: str) -> float | None:
    """Refuse a negative or non-finite tolerance (None keeps the dtype's default)."""
    if value is not None and not (value >= 0 and value != math.inf):
        raise DerivError(ErrorKind.BAD_OPTION, f"{option} must be a finite number >= 0, got {value}")
    return value


class Setup(NamedTuple):
    """Where and how autograd runs, how close counts as agreement, and the time budget.

    Build it with :meth:`checked`, which refuses every bad value; ``rtol`` and
    ``atol`` are None where the dtype's default applies.
    """

    device: str = "cpu"
    dtype: DType = DType.float64
    rtol: float | None = None
    atol: float | None = None
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def checked(
        cls,
        *,
        device: str = "cpu",
        dtype: DType = DType.float64,
        rtol: float | None = None,
        atol: float | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Setup:
        """A setup whose every value was checked, or a DerivError naming the first bad one."""
        check_tolerance(rtol, option="--rtol")
        check_tolerance(atol, option="--atol")
        check_timeout(timeout)
        check_device(device)
        return cls(device=device, dtype=DType(dtype), rtol=rtol, atol=atol, timeout=timeout)

    @property
    def tolerance(self) -> Tolerance:
        """The tolerance in force: the options where given, else the dtype's defaults."""
        default = self.dtype.tolerance
        return Tolerance(
            rtol=default.rtol if self.rtol is None else self.rtol,
            atol=default.atol if self.atol is None else self.atol,
        )
