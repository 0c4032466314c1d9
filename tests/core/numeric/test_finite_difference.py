"""The finite-difference witness lands within its own error bound of the exact derivative."""

from __future__ import annotations

import pytest

from derivcli.core.numeric.finite_difference import finite_difference
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
