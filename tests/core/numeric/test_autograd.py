"""Autograd at many points: unused variables and constant expressions."""

from __future__ import annotations

import pytest
import torch

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


@pytest.mark.parametrize(
    "text", ["x", "x*y + y**2", "relu(x) + abs(y)", "max(x, 0) * sin(3*y)", "exp(x)/y", "7"]
)
def test_the_derivatives_are_the_sum_trick_s_bit_for_bit(text: str) -> None:
    # .backward() with a gradient of ones: what .sum().backward() gives, kinks included (x = 0, y = 0).
    function = compile_tree(parse_expression(text))
    points = [{"x": x, "y": y} for x, y in [(0.0, 0.0), (1.0, -1.0), (-0.3, 2.5), (1e-300, 3.0)]]
    result = autograd_at_points(
        function, variables=["x", "y"], wrt=["x", "y"], points=points, device="cpu", dtype="float64"
    )
    leaves = {
        name: torch.tensor([point[name] for point in points], dtype=torch.float64, requires_grad=True)
        for name in ("x", "y")
    }
    output = torch.broadcast_to(function(leaves), (len(points),))
    if output.requires_grad:
        output.sum().backward()
    for name, leaf in leaves.items():
        expected = leaf.grad.tolist() if leaf.grad is not None else [0.0] * len(points)
        assert [value.hex() for value in result.gradients[name]] == [value.hex() for value in expected]
    assert result.values == tuple(output.detach().tolist())
