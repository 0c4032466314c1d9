"""Modes and defaults shared by the command line and the core, with their checks.

The command line reads these while it builds its options, for every command
including ``--help``: this module imports nothing but the error family.
"""

from __future__ import annotations

import enum
from typing import Final

from derivcli.errors import DerivError, ErrorKind

#: Points per axis of ``deriv grid`` when ``--num`` is not given.
DEFAULT_NUM: Final = 101


class Mode(enum.StrEnum):
    """Which command asked: ``eval`` one variable, ``partial`` several, ``hessian`` every second partial."""

    EVAL = "eval"
    PARTIAL = "partial"
    HESSIAN = "hessian"


#: Default time budget of the symbolic steps of one command or batch line, in seconds.
DEFAULT_TIMEOUT: Final = 10.0
#: Longest budget accepted: a day.
MAX_TIMEOUT: Final = 86_400.0


def check_timeout(seconds: float, *, option: str = "--timeout") -> float:
    """Refuse a time budget that is not a finite number of seconds above zero (and at most a day)."""
    if not (0 < seconds <= MAX_TIMEOUT):
        raise DerivError(
            ErrorKind.BAD_OPTION,
            f"{option} must be a number of seconds above 0 and at most {MAX_TIMEOUT:,.0f}, got {seconds:g}",
        )
    return seconds
