"""The pieces both translations to torch are made of.

A part is a function of named tensors, or a float for a subexpression without
variables (folded in high precision, then rounded once).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import sympy
import torch
import torch.nn.functional

from derivcli.core.numeric.device import Tensor
from derivcli.core.symbolic.exact import real_and_imaginary

TorchFunction = Callable[[Mapping[str, Tensor]], Tensor]


class _ZeroDerivativeHeaviside(torch.autograd.Function):
    """Heaviside step whose derivative is 0 (torch defines none; 0 is right away from the jump)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, at_zero: Tensor) -> Tensor:
        return torch.heaviside(x, at_zero)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor, None]:
        return torch.zeros_like(grad_output), None


def heaviside(x: Tensor, at_zero: float) -> Tensor:
    """torch.heaviside with SymPy's value at 0, differentiable (derivative 0)."""
    at_zero_tensor = torch.tensor(at_zero, dtype=x.dtype, device=x.device)
    result: Tensor = _ZeroDerivativeHeaviside.apply(x, at_zero_tensor)  # type: ignore[no-untyped-call]
    return result


def torch_softplus(x: Tensor) -> Tensor:
    """torch's softplus (exactly its argument above its threshold of 20), as a function of one tensor."""
    return torch.nn.functional.softplus(x)


def real_root(x: Tensor, degree: Tensor | float) -> Tensor:
    """The real n-th root for odd n: sign(x) * |x|**(1/n)."""
    return torch.sign(x) * torch.abs(x) ** (1 / degree)


def constant_function(value: float) -> TorchFunction:
    """A function that broadcasts a constant against the first variable's tensor."""

    def constant_function(env: Mapping[str, Tensor]) -> Tensor:
        reference = next(iter(env.values()), None)
        if reference is None:
            return torch.tensor(value, dtype=torch.float64)
        return torch.full_like(reference, value)

    return constant_function


def constant_float(expr: sympy.Basic) -> float:
    """A constant subexpression in high precision, rounded once to float (nan if not real)."""
    if expr == sympy.oo:
        return math.inf
    if expr == -sympy.oo:
        return -math.inf
    parts = real_and_imaginary(expr)
    if parts is None:
        return math.nan
    real, imaginary = parts
    if imaginary != 0 or not real.is_Number:
        return math.nan
    return float(real)


def _as_tensor(value: TorchFunction | float, env: Mapping[str, Tensor], like: Tensor | None) -> Tensor:
    """Evaluate a part; constants become tensors of the reference's dtype and device."""
    if callable(value):
        return value(env)
    if like is None:
        raise AssertionError("a constant needs a tensor to take its dtype from")
    return torch.full_like(like, value)


def apply_unary(op: Callable[[Tensor], Tensor], inner: TorchFunction | float) -> TorchFunction:
    """Apply a one-tensor op to a part that depends on a variable."""
    if not callable(inner):
        raise AssertionError("constant subexpressions are folded before this point")
    return lambda env: op(inner(env))


def apply_binary(
    op: Callable[[Tensor, Tensor], Tensor],
    left: TorchFunction | float,
    right: TorchFunction | float,
) -> TorchFunction:
    """Apply a two-tensor op; a constant side takes the other side's dtype and device."""

    def apply(env: Mapping[str, Tensor]) -> Tensor:
        if callable(left):
            left_value = left(env)
            return op(left_value, _as_tensor(right, env, left_value))
        right_value = _as_tensor(right, env, None)
        return op(_as_tensor(left, env, right_value), right_value)

    return apply
