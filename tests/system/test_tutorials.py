"""Every worked example of the tutorials deriv grew from, through the command line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Outcome

SINGLE = [
    ("3*x**2", "3", 27.0, 18.0),
    ("6*x**2+2*x+4", "3", 64.0, 38.0),
    ("x**2", "2", 4.0, 4.0),
    ("x**2 + 2*x + 1", "2", 9.0, 6.0),
    ("2*x**3+x", "1", 3.0, 7.0),
]

PARTIAL = [
    ("u**3+v**2+4*u*v", "u=3,v=4", {"u": 43.0, "v": 20.0}),
    ("u**2 + v**3 + 2*u*v + u + v", "u=3,v=4", {"u": 15.0, "v": 55.0}),
    ("u*v + u**2", "u=1,v=2", {"u": 4.0, "v": 1.0}),
    ("u*v + (u*v)**2", "u=2,v=1", {"u": 5.0, "v": 10.0}),
]


@pytest.mark.parametrize(("expr", "at", "value", "derivative"), SINGLE)
def test_single_variable_examples(
    deriv: Callable[..., Outcome], expr: str, at: str, value: float, derivative: float
) -> None:
    outcome = deriv("eval", expr, "--at", at, "--json")
    assert outcome.exit_code == 0
    point = outcome.json()["points"][0]
    assert point["value"] == value
    entry = point["derivatives"]["x"]
    assert (entry["autograd"], entry["symbolic_value"], entry["agree"]) == (derivative, derivative, True)


@pytest.mark.parametrize(("expr", "at", "expected"), PARTIAL)
def test_partial_examples(
    deriv: Callable[..., Outcome], expr: str, at: str, expected: dict[str, float]
) -> None:
    outcome = deriv("partial", expr, "--at", at, "--json")
    assert outcome.exit_code == 0
    derivatives = outcome.json()["points"][0]["derivatives"]
    assert {name: entry["autograd"] for name, entry in derivatives.items()} == expected
    assert {name: entry["symbolic_value"] for name, entry in derivatives.items()} == expected


def test_caret_notation_of_the_first_tutorial(deriv: Callable[..., Outcome]) -> None:
    outcome = deriv("eval", "6x^2 + 2x + 4", "--at", "x=3", "--at", "x=-1", "--at", "x=pi/4", "--json")
    points = outcome.json()["points"]
    assert [p["derivatives"]["x"]["exact"] for p in points] == ["38", "-10", "2 + 3*pi"]
