"""The Clarke verdict: the set, the minimum-norm element, membership and artificial critical points."""

from __future__ import annotations

import math

import pytest

from derivcli.core.clarke import clarke_interval, clarke_note, clarke_verdict, in_interval
from derivcli.core.symbolic.findings import Finding
from derivcli.model.setup import Tolerance

TOLERANCE = Tolerance(1e-9, 1e-12)


def _kink(left: float | None, right: float | None) -> Finding:
    return Finding("kink", "relu", "x", left, right)


def test_the_interval_is_ordered_and_needs_both_sides() -> None:
    assert clarke_interval([_kink(1.0, -1.0)]) == (-1.0, 1.0)
    assert clarke_interval([_kink(None, 1.0)]) is None
    assert clarke_interval([Finding("domain", "log", "x")]) is None
    assert clarke_interval([]) is None


@pytest.mark.parametrize(
    ("left", "right", "autograd", "min_norm", "inside", "artificial"),
    [
        (0.0, 1.0, 0.0, 0.0, True, False),
        (-1.0, 1.0, 0.0, 0.0, True, False),
        (1.0, 1.0, 0.0, 1.0, False, True),
        (2.0, 3.0, 2.5, 2.0, True, False),
        (-3.0, -2.0, 0.0, -2.0, False, True),
        (0.0, 1.0, math.nan, 0.0, False, False),
        (0.0, 1.0, 1.0 + 1e-12, 0.0, True, False),
        (0.0, 1.0, 1.1, 0.0, False, False),
    ],
)
def test_verdicts(
    left: float, right: float, autograd: float, min_norm: float, inside: bool, artificial: bool
) -> None:
    verdict = clarke_verdict([_kink(left, right)], autograd, TOLERANCE)
    assert verdict is not None
    assert (verdict.min_norm, verdict.autograd_in, verdict.artificial_critical_point) == (
        min_norm,
        inside,
        artificial,
    )


def test_no_kink_no_verdict() -> None:
    assert clarke_verdict([], 0.0, TOLERANCE) is None


def test_in_interval_uses_the_tolerance() -> None:
    assert in_interval(1.0 + 1e-10, 0.0, 1.0, TOLERANCE)
    assert not in_interval(1.0 + 1e-6, 0.0, 1.0, TOLERANCE)
    assert not in_interval(math.inf, 0.0, math.inf, TOLERANCE)


def test_the_notes() -> None:
    artificial = clarke_verdict([_kink(1.0, 1.0)], 0.0, TOLERANCE)
    assert artificial is not None
    assert clarke_note(artificial, 0.0) == (
        "the Clarke subdifferential here is [1, 1] and autograd's 0 is outside it: an artificial"
        " critical point (autograd gives 0 where no element of the set is 0; the spelling, not the"
        " function, made it)"
    )
    inside = clarke_verdict([_kink(-1.0, 1.0)], 0.0, TOLERANCE)
    assert inside is not None
    assert clarke_note(inside, 0.0) == (
        "the Clarke subdifferential here is [-1, 1] and autograd's 0 is in it (its minimum-norm element,"
        " PyTorch's pick at convex and concave kinks, is 0)"
    )
