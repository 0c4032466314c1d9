"""Hessians and Jacobians arranged as matrices, against matrices written by hand."""

from __future__ import annotations

import math

import pytest

from derivcli.core.compare import Options
from derivcli.core.matrices import asymmetry, hessian_matrices, is_symmetric, jacobian
from derivcli.model.setup import Mode, Tolerance
from derivcli.parsing.points import parse_point
from tests.core.test_compare import report_at_order

# f, point, Hessian written by hand.
HESSIANS: list[tuple[str, str, list[list[float]]]] = [
    ("x**2*y + y**3", "x=1,y=2", [[4.0, 2.0], [2.0, 12.0]]),
    ("x*y", "x=3,y=5", [[0.0, 1.0], [1.0, 0.0]]),
    ("exp(x)*sin(y)", "x=0,y=0", [[0.0, 1.0], [1.0, 0.0]]),
    ("x**2 + y**2 + z**2 + x*y*z", "x=1,y=2,z=3", [[2.0, 3.0, 2.0], [3.0, 2.0, 1.0], [2.0, 1.0, 2.0]]),
    # Looks lopsided, but mixed partials of a smooth function commute: d/dx d/dy = d/dy d/dx = 2*x*cos(y).
    ("x**2*sin(y) + y", "x=1,y=0", [[0.0, 2.0], [2.0, 0.0]]),
    ("log(x*y)", "x=2,y=4", [[-0.25, 0.0], [0.0, -0.0625]]),
]


@pytest.mark.parametrize(("text", "at", "expected"), HESSIANS)
def test_hessians(text: str, at: str, expected: list[list[float]]) -> None:
    result = report_at_order(text, at, mode=Mode.HESSIAN)
    (hessian,) = hessian_matrices(result)
    matrix = hessian.matrix
    flat = [value for row in expected for value in row]
    assert [value for row in matrix.autograd for value in row] == pytest.approx(flat, abs=1e-12)
    assert [value for row in matrix.symbolic for value in row] == pytest.approx(flat, abs=1e-12)
    assert matrix.agree
    assert is_symmetric(matrix, Tolerance(1e-9, 1e-12))
    assert asymmetry(matrix) == 0.0
    assert (hessian.symmetric, hessian.max_asymmetry) == (True, 0.0)


def test_jacobian_of_a_3x2_map() -> None:
    points = [parse_point("x=1,y=2")]
    result = jacobian("x*y, x + y, sin(x)", points=points, wrt=(), options=Options())
    (matrix,) = result.matrices
    assert result.components == ("x*y", "x + y", "sin(x)")
    assert matrix.columns == ("x", "y")
    assert matrix.autograd == ((2.0, 1.0), (1.0, 1.0), (math.cos(1.0), 0.0))
    assert matrix.agree


def test_atan2_stays_one_component() -> None:
    result = jacobian("atan2(y, x), x", points=[parse_point("x=1,y=1")], wrt=(), options=Options())
    assert result.components == ("atan2(y, x)", "x")
