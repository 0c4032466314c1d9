"""``grid --bits``: the bits each witness loses across a grid, the largest (and where) and the mean.

Each measured point needs an exact reference, computed in mpmath; a grid
larger than :data:`MAX_MEASURED` points is measured at that many points evenly
spread over it, and the report says how many.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import sympy
import torch

from derivcli.core.bits import mp
from derivcli.core.numeric.autograd import autograd_at_points
from derivcli.core.numeric.device import DTYPES, resolve_device
from derivcli.core.numeric.grid import AxisValues, axis_values
from derivcli.core.numeric.parts import TorchFunction
from derivcli.model.bits import BitsSummary, bits_between, shown_bits
from derivcli.model.grid import BitsAlong, DerivativeBits

#: Most grid points at which bits are measured (each needs an exact value).
MAX_MEASURED: Final = 10_001


def measured_indices(total: int) -> list[int]:
    """Every flat index of a grid, or :data:`MAX_MEASURED` of them evenly spread, both ends included."""
    if total <= MAX_MEASURED:
        return list(range(total))
    return sorted({round(index * (total - 1) / (MAX_MEASURED - 1)) for index in range(MAX_MEASURED)})


def _coordinates(
    axes: Sequence[AxisValues], indices: Sequence[int], dtype: torch.dtype
) -> dict[str, torch.Tensor]:
    """Each variable's values at the given flat (row-major) grid indices, as the grid computes them."""
    coordinates: dict[str, torch.Tensor] = {}
    flat = list(indices)
    for axis in reversed(axes):
        within = [index % axis.num for index in flat]
        flat = [index // axis.num for index in flat]
        coordinates[axis.name] = axis_values(axis, torch.tensor(within, dtype=dtype))
    return {axis.name: coordinates[axis.name] for axis in axes}


def grid_bits(
    *,
    function: TorchFunction,
    derivatives: Mapping[str, TorchFunction],
    exact: Mapping[str, sympy.Expr],
    symbols: Mapping[str, sympy.Symbol],
    axes: Sequence[AxisValues],
    variables: Sequence[str],
    dtype: str,
    device: str,
) -> tuple[dict[str, DerivativeBits], dict[str, BitsAlong]]:
    """Bits lost by autograd and by the symbolic derivative in the dtype at the measured grid points.

    Returns the summary of each derivative, and (for a grid of one axis) the
    bits point by point along it, for the plot.
    """
    total = 1
    for axis in axes:
        total *= axis.num
    indices = measured_indices(total)
    coordinates = _coordinates(axes, indices, DTYPES[dtype])
    points = [{name: float(coordinates[name][row]) for name in coordinates} for row in range(len(indices))]
    autograd = autograd_at_points(
        function,
        variables=variables,
        wrt=tuple(derivatives),
        points=points,
        device=device,
        dtype=dtype,
    )
    torch_device = resolve_device(device, dtype)
    with torch.no_grad():
        on_device = {name: tensor.to(torch_device) for name, tensor in coordinates.items()}
        symbolic = {
            name: torch.broadcast_to(derivative(on_device), (len(indices),)).cpu().tolist()
            for name, derivative in derivatives.items()
        }
    summaries: dict[str, DerivativeBits] = {}
    along: dict[str, BitsAlong] = {}
    for name in derivatives:
        autograd_bits: list[float] = []
        symbolic_bits: list[float] = []
        kept: list[Mapping[str, float]] = []
        for row, point in enumerate(points):
            found = mp.reference(exact[name], {symbols[key]: value for key, value in point.items()}, dtype)
            if found is None:
                continue
            target, is_number = found
            autograd_bits.append(
                bits_between(autograd.gradients[name][row], target, dtype, exact_is_number=is_number)
            )
            symbolic_bits.append(bits_between(symbolic[name][row], target, dtype, exact_is_number=is_number))
            kept.append(point)
        summaries[name] = DerivativeBits(
            autograd=_summary(autograd_bits, kept), symbolic=_summary(symbolic_bits, kept)
        )
        if len(axes) == 1:
            only = axes[0].name
            along[name] = BitsAlong(
                x=tuple(point[only] for point in kept),
                autograd=tuple(autograd_bits),
                symbolic=tuple(symbolic_bits),
            )
    return summaries, along


def _summary(bits: Sequence[float], points: Sequence[Mapping[str, float]]) -> BitsSummary | None:
    """The largest bits (first place it happens), the mean, and how many points were measured."""
    if not bits:
        return None
    largest = max(range(len(bits)), key=lambda index: bits[index])
    return BitsSummary(
        max=shown_bits(bits[largest]),
        mean=round(sum(bits) / len(bits), 2),
        max_at=tuple(points[largest].items()),
        measured=len(bits),
    )
