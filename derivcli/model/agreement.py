"""The arithmetic of agreement: how far autograd is from the exact value, and whether that is close enough."""

from __future__ import annotations

import math

from derivcli.model.setup import Tolerance


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
