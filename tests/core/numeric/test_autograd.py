"""Autograd at many points: unused variables and constant expressions."""

from __future__ import annotations

from derivcli.core.numeric.autograd import autograd_at_points
from derivcli.core.numeric.translate import compile_tree
from derivcli.parsing.grammar import parse_expression


def test_unused_variable_has_zero_gradient() -> None:
    result = autograd_at_points(
        compile_tree(parse_expression("x**2")),
        variables=["x", "y"],
        wrt=["x", "y"],
        points=[{"x": 2.0, "y": 5.0}],
        device="cpu",
        dtype="float64",
    )
    assert result.gradients == {"x": (4.0,), "y": (0.0,)}


def test_constant_expression() -> None:
    result = autograd_at_points(
        compile_tree(parse_expression("5")),
        variables=["x"],
        wrt=["x"],
        points=[{"x": 1.0}, {"x": 2.0}],
        device="cpu",
        dtype="float64",
    )
    assert result.values == (5.0, 5.0)
    assert result.gradients == {"x": (0.0, 0.0)}
