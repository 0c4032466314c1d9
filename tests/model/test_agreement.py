"""The arithmetic of agreement: absolute and relative errors, and closeness within a tolerance."""

from __future__ import annotations

import math

import pytest

from derivcli.model.agreement import errors_between, within
from derivcli.model.setup import Tolerance


@pytest.mark.parametrize(
    ("autograd", "exact", "errors"),
    [
        (38.0, 38.0, (0.0, 0.0)),
        (1.5, 1.0, (0.5, 0.5)),
        (1e-3, 0.0, (1e-3, math.inf)),
        (math.inf, math.inf, (0.0, 0.0)),
    ],
)
def test_errors_between(autograd: float, exact: float, errors: tuple[float, float]) -> None:
    assert errors_between(autograd, exact) == errors


def test_errors_between_nan() -> None:
    assert all(math.isnan(value) for value in errors_between(math.nan, 1.0))


def test_within() -> None:
    tolerance = Tolerance(rtol=1e-9, atol=1e-12)
    assert within(1.0 + 1e-10, 1.0, tolerance)
    assert not within(1.0 + 1e-8, 1.0, tolerance)
    assert within(5e-13, 0.0, tolerance)
    assert not within(math.nan, math.nan, tolerance)
    assert within(math.inf, math.inf, tolerance)
    assert not within(math.inf, -math.inf, tolerance)
