"""Autograd at many points: unused variables and constant expressions."""

from __future__ import annotations

import pytest
import torch

from derivcli.core.numeric import autograd
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
@pytest.mark.parametrize("engine", ["direct", "wrapper"])
def test_the_derivatives_are_the_sum_trick_s_bit_for_bit(
    text: str, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # .backward() with a gradient of ones: what .sum().backward() gives, kinks included (x = 0, y = 0);
    # run by the engine directly, or through torch.autograd.backward where a torch has no engine to call.
    if engine == "wrapper":
        monkeypatch.setattr(autograd, "_ENGINE", None)
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


def test_backward_runs_once_on_the_engine_that_torch_autograd_backward_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert autograd._ENGINE is torch.autograd.Variable._execution_engine
    runs: list[int] = []
    original = torch.autograd.backward
    monkeypatch.setattr(
        torch.autograd, "backward", lambda *args, **kwargs: runs.append(1) or original(*args, **kwargs)
    )
    leaf = torch.tensor([0.5, -2.0], dtype=torch.float64, requires_grad=True)
    autograd.backward_with_ones(leaf**3)
    assert runs == []  # the engine, not the wrapper
    assert leaf.grad is not None
    assert leaf.grad.tolist() == [0.75, 12.0]
    monkeypatch.setattr(autograd, "_ENGINE", None)
    other = torch.tensor([0.5, -2.0], dtype=torch.float64, requires_grad=True)
    autograd.backward_with_ones(other**3)
    assert runs == [1]
    assert other.grad is not None
    assert other.grad.tolist() == [0.75, 12.0]
