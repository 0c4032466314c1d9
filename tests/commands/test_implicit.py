"""deriv implicit end to end: dy/dx on a curve, both ways, with the point checked against the curve."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from derivcli.errors import ExitStatus
from tests.conftest import Outcome

Run = Callable[..., Outcome]


def test_the_circle(deriv: Run) -> None:
    document = deriv("implicit", "x**2 + y**2 = 25", "--wrt", "x", "--at", "x=3,y=4", "--json").json()
    assert (document["function"], document["x"], document["y"]) == ("x**2 + y**2 - 25", "x", "y")
    assert document["symbolic"] == {"dy/dx": "-x/y"}
    (point,) = document["points"]
    assert (point["on_curve"], point["residual"], point["notes"]) == (True, 0.0, [])
    assert point["derivatives"]["dy/dx"] == {
        "exact": "-3/4",
        "symbolic_value": -0.75,
        "autograd": -0.75,
        "abs_error": 0.0,
        "agree": True,
    }


def test_the_second_derivative(deriv: Run) -> None:
    document = deriv("implicit", "x**2 + y**2 = 25", "--at", "x=3,y=4", "--order", "2", "--json").json()
    second = document["points"][0]["derivatives"]["d2y/dx2"]
    assert (second["exact"], second["autograd"], second["agree"]) == ("-25/64", -0.390625, True)


def test_a_point_off_the_curve_and_a_vertical_tangent_are_noted(deriv: Run) -> None:
    document = deriv("implicit", "x**2 + y**2 = 25", "--at", "x=3,y=4.1", "--at", "x=5,y=0", "--json").json()
    off, vertical = document["points"]
    assert off["on_curve"] is False
    assert off["notes"][0].startswith("the point is not on the curve: F = 0.81 there")
    assert "y is not a function of x" in vertical["notes"][0]


def test_y_as_the_independent_variable(deriv: Run) -> None:
    document = deriv("implicit", "x*y = 1", "--wrt", "y", "--at", "x=2,y=0.5", "--json").json()
    assert (document["x"], document["y"], document["symbolic"]) == ("y", "x", {"dx/dy": "-x/y"})
    assert document["points"][0]["derivatives"]["dx/dy"]["autograd"] == -4.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x + y + z = 1", "--at", "x=1,y=0,z=0"), "has 3 (x, y, z)"),
        (("x = y = 1",), "an equation has one '=', got 2"),
        (("x**2 + y**2 = 25", "--wrt", "z"), "--wrt names x, one of x, y"),
        (("x**2 + y**2 = 25", "--order", "3"), "--order must be 1 or 2 for implicit, got 3"),
    ],
)
def test_refusals(deriv: Run, args: tuple[str, ...], message: str) -> None:
    outcome = deriv("implicit", *args)
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert message in outcome.stderr
