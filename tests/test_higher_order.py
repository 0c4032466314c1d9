"""Higher derivatives, Hessians, Jacobians and the finite-difference witness, against closed forms."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from derivcli.core.compare import Options, compare
from derivcli.core.matrices import asymmetry, hessian_matrices, is_symmetric, jacobian
from derivcli.core.numeric.finite_difference import finite_difference
from derivcli.core.numeric.translate import compile_tree
from derivcli.model.eval import Report
from derivcli.model.plan import make_plan
from derivcli.model.setup import Mode, Tolerance
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point

X = 0.7

# f, x, second derivative, third derivative (closed forms written by hand).
CLOSED_FORMS: list[tuple[str, float, Callable[[float], float], Callable[[float], float]]] = [
    ("x**4", 2.0, lambda x: 12 * x**2, lambda x: 24 * x),
    ("sin(x)", X, lambda x: -math.sin(x), lambda x: -math.cos(x)),
    ("cos(x)", X, lambda x: -math.cos(x), lambda x: math.sin(x)),
    ("exp(2*x)", X, lambda x: 4 * math.exp(2 * x), lambda x: 8 * math.exp(2 * x)),
    ("log(x)", X, lambda x: -1 / x**2, lambda x: 2 / x**3),
    ("sqrt(x)", X, lambda x: -0.25 * x**-1.5, lambda x: 0.375 * x**-2.5),
    ("1/x", X, lambda x: 2 / x**3, lambda x: -6 / x**4),
    ("tanh(x)", X, lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), lambda x: _tanh3(x)),
    ("atan(x)", X, lambda x: -2 * x / (1 + x**2) ** 2, lambda x: (6 * x**2 - 2) / (1 + x**2) ** 3),
    ("x*exp(x)", X, lambda x: (x + 2) * math.exp(x), lambda x: (x + 3) * math.exp(x)),
    ("sigmoid(x)", X, lambda x: _sigmoid2(x), lambda x: _sigmoid3(x)),
    ("x**3 - 2*x**2 + x", X, lambda x: 6 * x - 4, lambda x: 6.0),
]


def _tanh3(x: float) -> float:
    t = math.tanh(x)
    return (1 - t**2) * (6 * t**2 - 2)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _sigmoid2(x: float) -> float:
    s = _sigmoid(x)
    return s * (1 - s) * (1 - 2 * s)


def _sigmoid3(x: float) -> float:
    s = _sigmoid(x)
    return s * (1 - s) * (1 - 6 * s + 6 * s**2)


def report(text: str, *at: str, mode: Mode = Mode.EVAL, order: int = 1, fd: bool = False) -> Report:
    plan = make_plan(
        mode=mode, expression=parse_expression(text), points=[parse_point(p) for p in at], order=order
    )
    return compare(plan, Options(fd=fd))


@pytest.mark.parametrize(("text", "x", "second", "third"), CLOSED_FORMS)
def test_second_and_third_derivatives_match_closed_forms(
    text: str, x: float, second: Callable[[float], float], third: Callable[[float], float]
) -> None:
    for order, closed in ((2, second), (3, third)):
        entry = report(text, f"x={x!r}", order=order).points[0].derivatives[",".join(["x"] * order)]
        assert entry.agree, (text, order, entry)
        assert entry.symbolic_value == pytest.approx(closed(x), rel=1e-12, abs=1e-12)
        assert entry.autograd == pytest.approx(entry.symbolic_value, rel=1e-12, abs=1e-12)


def test_x_to_the_fourth_second_derivative_is_48_both_ways() -> None:
    entry = report("x**4", "x=2", order=2).points[0].derivatives["x,x"]
    assert (entry.exact, entry.autograd, entry.symbolic) == ("48", 48.0, "12*x**2")


def test_partial_order_two_keys_are_combinations() -> None:
    result = report("u*v + u**2", "u=1,v=2", mode=Mode.PARTIAL, order=2)
    derivatives = result.points[0].derivatives
    assert list(derivatives) == ["u,u", "u,v", "v,v"]
    assert [entry.autograd for entry in derivatives.values()] == [2.0, 1.0, 0.0]
    assert result.order == 2


@pytest.mark.parametrize(("text", "note"), [("abs(x)", "sign(x) jumps"), ("relu(x)", "heaviside(x) jumps")])
def test_dirac_delta_second_derivatives_are_explained(text: str, note: str) -> None:
    entry = report(text, "x=0", order=2).points[0].derivatives["x,x"]
    assert entry.autograd == 0.0
    assert not entry.agree
    assert entry.note is not None
    assert note in entry.note
    assert "Dirac delta" in entry.note


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
    result = report(text, at, mode=Mode.HESSIAN)
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
    exact = report(text, at, mode=Mode.PARTIAL, order=len(key)).points[0].derivatives[",".join(key)]
    assert abs(result.value - exact.symbolic_value) <= result.error_bound
    assert result.error_bound < 1e-6 * max(1.0, abs(exact.symbolic_value))


def test_fd_column_and_which_side_it_takes() -> None:
    entry = report("relu(x)", "x=0", fd=True).points[0].derivatives["x"]
    assert entry.fd == 0.5
    assert entry.note is not None
    assert "sides with symbolic" in entry.note
    smooth = report("exp(x)", "x=1", fd=True).points[0].derivatives["x"]
    assert smooth.fd_abs_error is not None
    assert smooth.fd_error_bound is not None
    assert smooth.fd_abs_error <= smooth.fd_error_bound
