"""Autograd at many points at once: one leaf tensor per variable, one `.backward()` with ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from derivcli.core.numeric.device import DTYPES, Tensor, resolve_device
from derivcli.core.numeric.parts import TorchFunction


@dataclass(frozen=True, slots=True)
class AutogradValues:
    """Forward values and gradients at each point, as Python floats."""

    values: tuple[float, ...]
    gradients: Mapping[str, tuple[float, ...]]
    device: str
    dtype: str


def _repeated_grad(output: Tensor, leaves: Mapping[str, Tensor], key: Sequence[str]) -> Tensor:
    """d/d(key[-1]) ... d/d(key[0]) of ``output`` at every point, by repeated sums and grads."""
    current = output
    for name in key:
        if not current.requires_grad:
            return torch.zeros_like(leaves[name]).detach()
        (grad,) = torch.autograd.grad(current.sum(), [leaves[name]], create_graph=True, allow_unused=True)
        if grad is None:
            return torch.zeros_like(leaves[name]).detach()
        current = grad
    result = current.detach()
    # Some backward formulas (abs, sign) return torch's storage-less "zero tensor": make it real.
    return torch.zeros_like(leaves[key[-1]]).detach() if result._is_zerotensor() else result


def backward_with_ones(output: Tensor) -> None:
    """``torch.autograd.backward(output, ones)``: the same engine run, without the wrapper's checks.

    For the plain tensors built here, ``torch.autograd.backward`` checks its
    arguments in Python (the gradient's shape against the output's,
    ``__torch_function__`` overrides, functorch transforms) and then runs
    the engine: the checks cost a third of a small graph's backward pass.
    Where this torch has no engine object to call, the wrapper runs.
    """
    gradient = torch.ones_like(output)
    if _ENGINE is None:
        torch.autograd.backward(output, gradient)
        return
    _ENGINE.run_backward(
        (output,), (gradient,), False, False, (), allow_unreachable=True, accumulate_grad=True
    )


#: The C++ autograd engine that ``torch.autograd.backward`` hands its graph to (None if this torch has none).
_ENGINE = getattr(torch.autograd.Variable, "_execution_engine", None)


def autograd_at_points(
    function: TorchFunction,
    *,
    variables: Sequence[str],
    wrt: Sequence[str],
    points: Sequence[Mapping[str, float]],
    device: str,
    dtype: str,
    derivatives: Sequence[tuple[str, ...]] = (),
) -> AutogradValues:
    """Evaluate at all points at once (one leaf tensor per variable) and run ``.backward()``.

    ``.backward()`` runs with a gradient of ones, as the output's sum would
    give (each point's value depends only on its own inputs, so every leaf's
    ``.grad`` holds the per-point derivatives). Higher derivatives
    (``derivatives`` with more than one variable, keyed ``"x,x"``)
    differentiate again with ``torch.autograd.grad`` and
    ``create_graph=True``, one variable at a time.
    """
    torch_dtype = DTYPES[dtype]
    torch_device = resolve_device(device, dtype)
    leaves = {
        name: torch.tensor(
            [point[name] for point in points],
            dtype=torch_dtype,
            device=torch_device,
            requires_grad=name in wrt,
        )
        for name in variables
    }
    output = function(leaves)
    if output.shape != (len(points),):
        output = torch.broadcast_to(output, (len(points),))
    if output.requires_grad:
        # The sum's gradient is 1 at every point: handed to .backward() directly, without building the sum.
        backward_with_ones(output)
    gradients: dict[str, tuple[float, ...]] = {}
    for name in wrt:
        grad = leaves[name].grad
        gradients[name] = tuple(grad.tolist()) if grad is not None else (0.0,) * len(points)
    for key in derivatives:
        if len(key) > 1:
            gradients[",".join(key)] = tuple(_repeated_grad(function(leaves), leaves, key).tolist())
    return AutogradValues(
        values=tuple(output.detach().tolist()),
        gradients=gradients,
        device=str(torch_device),
        dtype=dtype,
    )
