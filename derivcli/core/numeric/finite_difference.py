"""The third witness: central finite differences in float64, extrapolated twice (Richardson)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import torch

from derivcli.core.numeric.parts import TorchFunction
from derivcli.errors import DerivError, ErrorKind


@dataclass(frozen=True, slots=True)
class FiniteDifference:
    """A finite-difference derivative, its estimated error bound, and the step used."""

    value: float
    error_bound: float
    step: float


_EPSILON: Final = 2.0**-52


def _power_of_two_step(scale: float, order: int) -> float:
    """About epsilon**(1/(order + 6)) times the scale, as a power of two (so x ± h is exact for most x).

    After two Richardson steps the truncation error is O(h**6) and the rounding
    error O(epsilon / h**order): this step balances them. (A one-sided
    difference, whose two steps leave O(h**3), passes ``order`` -2: epsilon**(1/4).)
    """
    target = _EPSILON ** (1 / (order + 6)) * max(1.0, abs(scale))
    return float(2.0 ** round(math.log2(target)))


def finite_difference(
    function: TorchFunction, *, point: Mapping[str, float], key: Sequence[str]
) -> FiniteDifference:
    """Central differences in float64, extrapolated twice (Richardson): first and second derivatives.

    D(h) is the central difference with step h (its error is a series in h**2).
    R(h) = D(h/2) + (D(h/2) - D(h)) / 3 cancels the h**2 term, and
    R(h/2) + (R(h/2) - R(h)) / 15 the h**4 term. The bound is
    |R(h/2) - R(h)| / 15, the size of the last term cancelled (larger than what
    remains on smooth functions), plus the rounding of f's values divided by
    the steps.
    """
    if len(key) not in (1, 2):
        raise DerivError(ErrorKind.BAD_OPTION, "--fd gives first and second derivatives only")
    names = list(point)
    steps = {name: _power_of_two_step(point[name], len(key)) for name in set(key)}
    stencil: list[tuple[float, dict[str, float]]] = []
    if len(key) == 1:
        (name,) = key
        offsets = [(1.0, 1), (-1.0, -1)]
        stencil = [(weight / 2, {name: sign}) for weight, sign in offsets]
    elif key[0] == key[1]:
        name = key[0]
        stencil = [(1.0, {name: 1}), (-2.0, {name: 0}), (1.0, {name: -1})]
    else:
        first, second = key
        stencil = [
            (weight / 4, {first: a, second: b})
            for weight, a, b in ((1.0, 1, 1), (-1.0, 1, -1), (-1.0, -1, 1), (1.0, -1, -1))
        ]
    estimates = []
    largest = 0.0
    for scale in (1.0, 0.5, 0.25):
        env = {
            name: torch.tensor(
                [point[name] + shift.get(name, 0) * steps.get(name, 0.0) * scale for _, shift in stencil],
                dtype=torch.float64,
            )
            for name in names
        }
        with torch.no_grad():
            values = torch.broadcast_to(function(env), (len(stencil),)).tolist()
        largest = max([largest, *(abs(value) for value in values)])
        denominator = math.prod(steps[name] * scale for name in key)
        estimates.append(
            math.fsum(weight * value for (weight, _), value in zip(stencil, values, strict=True))
            / denominator
        )
    coarse, middle, fine = estimates
    once_coarse = middle + (middle - coarse) / 3
    once_fine = fine + (fine - middle) / 3
    value = once_fine + (once_fine - once_coarse) / 15
    smallest_steps = math.prod(steps[name] * 0.25 for name in key)
    bound = abs(once_fine - once_coarse) / 15 + 32 * _EPSILON * largest / smallest_steps
    return FiniteDifference(value=value, error_bound=bound, step=steps[key[0]])


def one_sided_difference(
    function: TorchFunction, *, point: Mapping[str, float], name: str, side: int
) -> FiniteDifference:
    """A one-sided difference in float64 along ``name`` (``side`` 1: right, -1: left), extrapolated twice.

    At a kink the central difference averages the two sides; each side alone
    is a derivative of a smooth piece. D(h) = side * (f(x + side*h) - f(x)) / h
    has an error series in h, h**2, ...: R(h) = 2 D(h/2) - D(h) cancels the h
    term, (4 R(h/2) - R(h)) / 3 the h**2 term. The bound is the size of the
    last term cancelled plus the rounding of f's values divided by the step.
    """
    step = _power_of_two_step(point[name], -2)
    scales = (1.0, 0.5, 0.25)
    names = list(point)
    env = {
        other: torch.tensor(
            [point[other] + (side * step * scale if other == name else 0.0) for scale in (0.0, *scales)],
            dtype=torch.float64,
        )
        for other in names
    }
    with torch.no_grad():
        values = torch.broadcast_to(function(env), (len(scales) + 1,)).tolist()
    at, *shifted = values
    coarse, middle, fine = (
        side * (value - at) / (step * scale) for value, scale in zip(shifted, scales, strict=True)
    )
    once_coarse = 2 * middle - coarse
    once_fine = 2 * fine - middle
    value = (4 * once_fine - once_coarse) / 3
    largest = max(abs(item) for item in values)
    bound = abs(once_fine - once_coarse) / 3 + 16 * _EPSILON * largest / (step * scales[-1])
    return FiniteDifference(value=value, error_bound=bound, step=step)
