"""The finite-difference witness lands within its own error bound of the exact derivative."""

from __future__ import annotations

import math

import pytest

from derivcli.core.numeric.finite_difference import finite_difference, one_sided_difference
from derivcli.core.numeric.translate import compile_tree
from derivcli.model.plan import make_plan
from derivcli.model.setup import Mode
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point
from tests.core.test_compare import report_at_order

# Smooth functions and points for the finite-difference witness.
FD_CASES = [
    ("exp(x)", "x=1", ("x",)),
    ("sin(x)*exp(-x**2/10) + x**3/100", "x=3", ("x",)),
    ("log(1 + x**2)", "x=-2.5", ("x",)),
    ("atan(x)", "x=0.3", ("x", "x")),
    ("sqrt(x)", "x=7", ("x", "x")),
    ("x**2*y + y**3", "x=1,y=2", ("x", "y")),
    ("exp(x*y)", "x=0.5,y=-1.5", ("x", "y")),
    ("cosh(x)", "x=12", ("x",)),
]


@pytest.mark.parametrize(("text", "at", "key"), FD_CASES)
def test_finite_differences_land_within_their_bound(text: str, at: str, key: tuple[str, ...]) -> None:
    plan = make_plan(mode=Mode.PARTIAL, expression=parse_expression(text), points=[parse_point(at)])
    point = {
        name: float(parse_point(at).assignments[index].text) for index, name in enumerate(plan.variables)
    }
    result = finite_difference(compile_tree(plan.expression), point=point, key=key)
    exact = report_at_order(text, at, mode=Mode.PARTIAL, order=len(key)).points[0].derivatives[",".join(key)]
    assert abs(result.value - exact.symbolic_value) <= result.error_bound
    assert result.error_bound < 1e-6 * max(1.0, abs(exact.symbolic_value))


@pytest.mark.parametrize(
    ("text", "at", "left", "right"),
    [
        ("abs(x)", 0.0, -1.0, 1.0),
        ("relu(x)", 0.0, 0.0, 1.0),
        ("max(x, x**2)", 1.0, 1.0, 2.0),
        ("sin(x)", 1.0, None, None),
    ],
)
def test_one_sided_differences(text: str, at: float, left: float | None, right: float | None) -> None:
    function = compile_tree(parse_expression(text))
    sides = [one_sided_difference(function, point={"x": at}, name="x", side=side) for side in (-1, 1)]
    expected = [left, right] if left is not None else [math.cos(at)] * 2
    for side, want in zip(sides, expected, strict=True):
        assert want is not None
        assert abs(side.value - want) <= side.error_bound + 1e-12
        assert side.error_bound < 1e-8
