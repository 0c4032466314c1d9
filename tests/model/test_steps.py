"""The steps request: one variable, at most one point, refused before any heavy import."""

from __future__ import annotations

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.setup import Setup
from derivcli.model.steps import StepsRequest, steps_request


def request(expression: str, *at: str, wrt: tuple[str, ...] = ()) -> StepsRequest:
    return steps_request(expression=expression, at=at, wrt=wrt, setup=Setup())


def test_one_variable_and_its_point() -> None:
    plan = request("x*y", "x=1,y=2", wrt=("y",)).plan
    assert (plan.wrt, plan.variables, len(plan.points)) == (("y",), ("x", "y"), 1)


@pytest.mark.parametrize(
    ("expression", "at", "wrt", "kind", "message"),
    [
        (
            "x*y",
            (),
            (),
            ErrorKind.AMBIGUOUS_VARIABLE,
            "'x*y' has several variables (x, y): choose one with --wrt x",
        ),
        (
            "x",
            ("1", "2"),
            (),
            ErrorKind.BAD_POINT,
            "deriv steps follows the derivation at one point: give one --at (got 2)",
        ),
        (
            "x",
            ("x=a",),
            (),
            ErrorKind.BAD_POINT,
            "point value must be a constant, but 'a' is a variable in --at 'x=a'",
        ),
    ],
)
def test_refusals(
    expression: str, at: tuple[str, ...], wrt: tuple[str, ...], kind: ErrorKind, message: str
) -> None:
    with pytest.raises(DerivError) as caught:
        request(expression, *at, wrt=wrt)
    assert (caught.value.kind, caught.value.message) == (kind, message)
