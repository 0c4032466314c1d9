"""Verdicts at kinks: the Clarke subdifferential, PyTorch's minimum-norm pick, artificial critical points.

For a function of one variable that is piecewise smooth, the Clarke
subdifferential at a point is [min(f'-, f'+), max(f'-, f'+)]; for a partial
derivative it is taken along that variable's axis. Autograd returns an element
of a conservative field, which need not lie in it: ``relu(x) - relu(-x)`` is x,
yet autograd gives 0 at 0, a critical point that is not there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from derivcli.core.symbolic.findings import Finding
from derivcli.model.setup import Tolerance
from derivcli.model.text import format_number


@dataclass(frozen=True, slots=True)
class ClarkeVerdict:
    """The Clarke set at a kink and what autograd's value means against it."""

    low: float
    high: float
    min_norm: float
    autograd_in: bool
    artificial_critical_point: bool


def clarke_interval(findings: Sequence[Finding]) -> tuple[float, float] | None:
    """[min(f'-, f'+), max(f'-, f'+)] where ``findings`` include a kink with both sides known; else None."""
    for finding in findings:
        # Every kink finding carries the one-sided derivatives of the whole derivative: any one will do.
        if finding.kind == "kink" and finding.left is not None and finding.right is not None:
            return min(finding.left, finding.right), max(finding.left, finding.right)
    return None


def in_interval(value: float, low: float, high: float, tolerance: Tolerance) -> bool:
    """True when ``value`` lies in [low, high], within the tolerance."""
    slack = tolerance.atol + tolerance.rtol * max(abs(low), abs(high))
    return math.isfinite(value) and low - slack <= value <= high + slack


def clarke_verdict(
    findings: Sequence[Finding], autograd: float, tolerance: Tolerance
) -> ClarkeVerdict | None:
    """The verdict where ``findings`` include a kink with both one-sided derivatives known; else None."""
    interval = clarke_interval(findings)
    if interval is None:
        return None
    low, high = interval
    # PyTorch's rule for a convex kink: the element of least norm, 0 when the set straddles it.
    min_norm = 0.0 if low <= 0 <= high else (low if low > 0 else high)
    inside = in_interval(autograd, low, high, tolerance)
    return ClarkeVerdict(
        low=low,
        high=high,
        min_norm=min_norm,
        autograd_in=inside,
        artificial_critical_point=autograd == 0 and not low <= 0 <= high,
    )


def clarke_note(verdict: ClarkeVerdict, autograd: float) -> str:
    """The verdict in words."""
    interval = f"[{format_number(verdict.low)}, {format_number(verdict.high)}]"
    where = "in it" if verdict.autograd_in else "outside it"
    text = (
        f"the Clarke subdifferential here is {interval} and autograd's {format_number(autograd)} is {where}"
    )
    if verdict.artificial_critical_point:
        text += (
            ": an artificial critical point (autograd gives 0 where no element of the set is 0;"
            " the spelling, not the function, made it)"
        )
    elif verdict.low != verdict.high:
        least = format_number(verdict.min_norm)
        text += f" (its minimum-norm element, PyTorch's pick at convex and concave kinks, is {least})"
    return text
