"""The results every output form is rendered from: frozen dataclasses and the arithmetic of agreement.

Kept apart from :mod:`derivcli.core.compare` so that rendering a report (and
unpickling one that the worker process computed) imports neither SymPy nor
torch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

#: The worker steps that autograd alone needs as well (see compare.autograd_only): when one of
#: them ran out of time, trying autograd alone would only run out again.
READING_POINTS: Final = "reading the points exactly"
TRANSLATING: Final = "translating the expression to torch"
AUTOGRAD_STEPS: Final = frozenset({READING_POINTS, TRANSLATING})


@dataclass(frozen=True, slots=True)
class Tolerance:
    """Agreement holds when ``|autograd - exact| <= atol + rtol * |exact|``."""

    rtol: float
    atol: float


#: Defaults per dtype: loose enough for a few hundred rounding errors in a long
#: chain of ops, tight enough to catch any wrong derivative formula.
DEFAULT_TOLERANCES: Final[Mapping[str, Tolerance]] = {
    "float64": Tolerance(rtol=1e-9, atol=1e-12),
    "float32": Tolerance(rtol=1e-5, atol=1e-6),
}


@dataclass(frozen=True, slots=True)
class DerivativeEntry:
    """One derivative at one point, both ways."""

    symbolic: str
    exact: str | None
    symbolic_value: float
    autograd: float
    abs_error: float
    rel_error: float
    agree: bool
    note: str | None
    fd: float | None = None
    fd_error_bound: float | None = None
    fd_abs_error: float | None = None


@dataclass(frozen=True, slots=True)
class PointReport:
    """Everything computed at one point."""

    at: Mapping[str, float]
    at_exact: Mapping[str, str]
    at_input: Mapping[str, str]
    value: float
    value_exact: str | None
    value_autograd: float
    derivatives: Mapping[str, DerivativeEntry]


@dataclass(frozen=True, slots=True)
class Report:
    """The result of ``deriv eval`` or ``deriv partial``."""

    input: str
    expression: str
    variables: tuple[str, ...]
    wrt: tuple[str, ...]
    device: str
    dtype: str
    order: int
    rtol: float
    atol: float
    derivatives: Mapping[str, str]
    points: tuple[PointReport, ...]
    notes: tuple[str, ...]

    @property
    def all_agree(self) -> bool:
        """True when every derivative at every point agrees."""
        return all(entry.agree for point in self.points for entry in point.derivatives.values())


@dataclass(frozen=True, slots=True)
class AutogradPoint:
    """Autograd's answer at one point, without the symbolic side."""

    at: Mapping[str, float]
    at_input: Mapping[str, str]
    value: float
    derivatives: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class AutogradOnly:
    """What autograd alone says, for when the symbolic side ran out of its budget."""

    input: str
    variables: tuple[str, ...]
    wrt: tuple[str, ...]
    device: str
    dtype: str
    order: int
    points: tuple[AutogradPoint, ...]


def errors_between(autograd: float, exact: float) -> tuple[float, float]:
    """Absolute and relative error of autograd against the exact value (nan when undefined)."""
    if math.isnan(autograd) or math.isnan(exact):
        return math.nan, math.nan
    if math.isinf(autograd) or math.isinf(exact):
        return (0.0, 0.0) if autograd == exact else (math.inf, math.inf)
    difference = abs(autograd - exact)
    if exact == 0:
        return difference, 0.0 if difference == 0 else math.inf
    return difference, difference / abs(exact)


def within(autograd: float, exact: float, tolerance: Tolerance) -> bool:
    """True when autograd matches the exact value within tolerance (equal infinities match)."""
    if math.isnan(autograd) or math.isnan(exact):
        return False
    if math.isinf(autograd) or math.isinf(exact):
        return autograd == exact
    return abs(autograd - exact) <= tolerance.atol + tolerance.rtol * abs(exact)


def format_number(value: float | None, *, missing: str = "unknown") -> str:
    """Floats as the shortest text that reads back exactly; integers without '.0'; None as ``missing``."""
    if value is None:
        return missing
    if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(value)
