"""The autograd side over a whole grid, in chunks: the sum trick, and the symbolic derivative beside it.

For each chunk of consecutive grid points the engine makes leaf tensors,
evaluates the expression, runs ``torch.autograd.grad`` on its sum (each
point's value depends only on its own inputs, so the gradient of the sum holds
every point's derivative), evaluates the translated symbolic derivative on the
same points without autograd, and folds the comparison into running
statistics. Only one chunk is alive at a time, so memory stays bounded
whatever the number of points; chunks small enough to stay in the CPU's cache
are also faster than one pass over the whole grid.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import torch

from derivcli.core.numeric.device import DTYPES, Tensor, resolve_device
from derivcli.core.numeric.parts import TorchFunction
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.grid import DerivativeStats, GridPoint, KinkStats
from derivcli.model.gridplan import GridChunk, flat_to_coordinates

#: Points per chunk on the CPU. Measured with bench/grid.py on a 2-core x86-64
#: machine at 10**7 float64 points: 2**16 to 2**18 are within 10% of each other and
#: four times as fast as whole-grid evaluation; 2**17 is the fastest for cheap
#: expressions (fewer chunks, less Python per point); 2**15 and below pay for
#: per-chunk overhead, and from 2**20 a chunk's intermediates leave the cache.
CPU_CHUNK: Final = 2**17
#: Points per chunk on a GPU: large enough that kernel launches are negligible.
GPU_CHUNK: Final = 2**23
#: Kink examples kept per kink (points on it, and pairs of points around it).
KINK_EXAMPLES: Final = 5


@dataclass(frozen=True, slots=True)
class AxisValues:
    """One axis as floats of the run's dtype: ``num`` points from ``start`` to ``stop``."""

    name: str
    start: float
    stop: float
    num: int


@dataclass(frozen=True, slots=True)
class KinkProbe:
    """A subexpression with a kink or jump where ``compiled`` is 0 (relu(x): x; max(a, b): a - b)."""

    kind: str
    function: str
    label: str
    compiled: TorchFunction


@dataclass(frozen=True, slots=True)
class GridStats:
    """Everything the engine measured over the grid."""

    points: int
    device: str
    dtype: str
    chunk_size: int
    threads: int
    value_non_finite: int
    derivatives: Mapping[str, DerivativeStats]
    kinks: tuple[KinkStats, ...]
    elapsed_s: float
    #: Grid points exactly on at least one kink, in the dtype.
    kink_hits: int = 0


ChunkSink = Callable[[GridChunk], None]
ProgressCallback = Callable[[int, int], None]


def default_chunk_size(device: torch.device) -> int:
    """The measured chunk size for the kind of device."""
    return CPU_CHUNK if device.type == "cpu" else GPU_CHUNK


def evaluate_grid(
    *,
    function: TorchFunction,
    derivatives: Mapping[str, TorchFunction],
    kinks: Sequence[KinkProbe] = (),
    axes: Sequence[AxisValues],
    device: str,
    dtype: str,
    rtol: float,
    atol: float,
    chunk_size: int | None = None,
    compile_chunks: bool = False,
    on_chunk: ChunkSink | None = None,
    progress: ProgressCallback | None = None,
) -> GridStats:
    """Run autograd and the symbolic derivative over every grid point, chunk by chunk.

    With ``compile_chunks``, full chunks run through ``torch.compile``d versions
    of the expression and its derivatives (the compile time is included in
    ``elapsed_s``); the last, shorter chunk runs eagerly, so nothing is
    compiled twice.
    """
    torch_dtype = DTYPES[dtype]
    torch_device = resolve_device(device, dtype)
    size = chunk_size or default_chunk_size(torch_device)
    fast_function, fast_derivatives = function, derivatives
    if compile_chunks:
        fast_function, fast_derivatives = (
            _compiled(function),
            {name: _compiled(derivative) for name, derivative in derivatives.items()},
        )
    shape = tuple(axis.num for axis in axes)
    total = math.prod(shape)
    chunks = -(-total // size)
    accumulators = {
        name: _DerivativeAccumulator(chunks=chunks, chunk_size=size, device=torch_device)
        for name in derivatives
    }
    kink_accumulators = [_KinkAccumulator(probe, one_dimensional=len(axes) == 1) for probe in kinks]
    value_non_finite = torch.zeros((), dtype=torch.int64, device=torch_device)
    kink_hits = torch.zeros((), dtype=torch.int64, device=torch_device)
    began = time.perf_counter()
    for start in range(0, total, size):
        stop = min(total, start + size)
        coordinates = _chunk_coordinates(axes, start, stop, torch_dtype, torch_device)
        full = stop - start == size
        chunk_function, chunk_derivatives = (
            (fast_function, fast_derivatives) if full else (function, derivatives)
        )
        value, autograd = _autograd(chunk_function, coordinates, chunk_derivatives, stop - start)
        with torch.no_grad():
            symbolic = {
                name: torch.broadcast_to(derivative(coordinates), (stop - start,))
                for name, derivative in chunk_derivatives.items()
            }
            if not math.isfinite(float(value.sum())):
                value_non_finite += (~torch.isfinite(value)).sum()
            for name, accumulator in accumulators.items():
                accumulator.add(start, autograd[name], symbolic[name], rtol=rtol, atol=atol)
            # A point on two kinks at once (relu(x) - relu(-x) at 0) is one hit.
            on_a_kink: Tensor | None = None
            for kink in kink_accumulators:
                zeros = kink.add(start, coordinates, autograd, symbolic)
                if zeros is not None:
                    on_a_kink = zeros if on_a_kink is None else on_a_kink | zeros
            if on_a_kink is not None:
                kink_hits += on_a_kink.sum()
        if on_chunk is not None:
            on_chunk(
                GridChunk(
                    start=start,
                    coordinates={name: tensor.cpu().numpy() for name, tensor in coordinates.items()},
                    value=value.cpu().numpy(),
                    autograd={name: tensor.cpu().numpy() for name, tensor in autograd.items()},
                    symbolic={name: tensor.cpu().numpy() for name, tensor in symbolic.items()},
                )
            )
        if progress is not None:
            progress(stop, total)
    if torch_device.type == "cuda":
        torch.cuda.synchronize(torch_device)
    elapsed = time.perf_counter() - began

    def locate(index: int | None) -> GridPoint | None:
        return None if index is None else grid_point(index, axes, function, derivatives, torch_dtype)

    return GridStats(
        points=total,
        device=str(torch_device),
        dtype=dtype,
        chunk_size=size,
        threads=torch.get_num_threads(),
        value_non_finite=int(value_non_finite),
        derivatives={name: accumulator.result(locate) for name, accumulator in accumulators.items()},
        kinks=tuple(kink.result(axes, function, derivatives, torch_dtype) for kink in kink_accumulators),
        elapsed_s=elapsed,
        kink_hits=int(kink_hits),
    )


def _compiled(function: TorchFunction) -> TorchFunction:
    """``function`` through torch.compile for one fixed chunk shape; failures become DerivErrors."""
    compiled = torch.compile(function, dynamic=False)

    def run(env: Mapping[str, Tensor]) -> Tensor:
        try:
            result: Tensor = compiled(env)
        except Exception as error:  # noqa: BLE001
            # The backend needs a C++ compiler (CPU) or Triton (GPU); say what failed, in one line.
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise DerivError(ErrorKind.UNSUPPORTED, f"--compile failed: {first_line}") from None
        return result

    return run


def _chunk_coordinates(
    axes: Sequence[AxisValues], start: int, stop: int, dtype: torch.dtype, device: torch.device
) -> dict[str, Tensor]:
    """Every variable's value at grid points ``start`` to ``stop - 1`` (row-major)."""
    if len(axes) == 1:
        # One axis: the flat index is the axis index; no division needed.
        index = torch.arange(start, stop, dtype=dtype, device=device)
        return {axes[0].name: axis_values(axes[0], index, span=(start, stop - 1))}
    flat = torch.arange(start, stop, dtype=torch.int64, device=device)
    coordinates: dict[str, Tensor] = {}
    for axis in reversed(axes):
        within = flat % axis.num
        flat = flat // axis.num
        coordinates[axis.name] = axis_values(axis, within.to(dtype))
    return {axis.name: coordinates[axis.name] for axis in axes}


def axis_values(axis: AxisValues, index: Tensor, *, span: tuple[int, int] | None = None) -> Tensor:
    """Values of an axis at (float) indices, overwriting ``index``.

    The first half counts up from ``start`` and the second half down from
    ``stop``, as torch.linspace does, so both ends are exact and the spacing
    is symmetric; the result does not depend on how the grid is chunked.
    ``span``, the smallest and largest index when known, lets a chunk that
    lies in one half skip the other half's formula.
    """
    if axis.num == 1:
        return index.fill_(axis.start)
    step = (axis.stop - axis.start) / (axis.num - 1)
    halfway = axis.num // 2
    lowest, highest = span if span is not None else (0, axis.num - 1)
    if highest < halfway:
        return index.mul_(step).add_(axis.start)
    if lowest >= halfway:
        # stop - step * (num - 1 - i), with the subtraction done as adding a negated product.
        return index.sub_(axis.num - 1).mul_(step).add_(axis.stop)
    below_halfway = index < halfway
    lower = index * step + axis.start
    upper = index.sub_(axis.num - 1).mul_(step).add_(axis.stop)
    return torch.where(below_halfway, lower, upper)


def _autograd(
    function: TorchFunction,
    coordinates: Mapping[str, Tensor],
    derivatives: Mapping[str, TorchFunction],
    length: int,
) -> tuple[Tensor, dict[str, Tensor]]:
    """The expression's values and, by the sum trick, its derivative at every point."""
    leaves = {
        name: tensor.requires_grad_(True) if name in derivatives else tensor
        for name, tensor in coordinates.items()
    }
    value = torch.broadcast_to(function(leaves), (length,))
    wanted = [leaves[name] for name in derivatives]
    grads: Sequence[Tensor | None] = (None,) * len(wanted)
    if value.requires_grad and wanted:
        grads = torch.autograd.grad(value.sum(), wanted, allow_unused=True)
    autograd = {
        name: grad if grad is not None else torch.zeros_like(leaves[name])
        for name, grad in zip(derivatives, grads, strict=True)
    }
    for tensor in leaves.values():
        tensor.requires_grad_(False)
    return value.detach(), autograd


def grid_point(
    index: int,
    axes: Sequence[AxisValues],
    function: TorchFunction,
    derivatives: Mapping[str, TorchFunction],
    dtype: torch.dtype,
) -> GridPoint:
    """Recompute one grid point on the CPU (for reports: the worst error, a kink)."""
    indices = flat_to_coordinates(index, [axis.num for axis in axes])
    coordinates = {
        axis.name: axis_values(axis, torch.tensor([float(i)], dtype=dtype), span=(i, i))
        for axis, i in zip(axes, indices, strict=True)
    }
    _, autograd = _autograd(function, coordinates, derivatives, 1)
    with torch.no_grad():
        symbolic = {name: float(derivative(coordinates)) for name, derivative in derivatives.items()}
    return GridPoint(
        at={name: float(tensor) for name, tensor in coordinates.items()},
        autograd={name: float(tensor) for name, tensor in autograd.items()},
        symbolic=symbolic,
    )


class _DerivativeAccumulator:
    """Per-chunk maxima and running counts of one derivative's comparison, kept on the device.

    Everything lives in tensors allocated once: small tensors kept alive chunk
    after chunk would sit between the chunks' large temporaries and keep the C
    allocator from reusing their memory (measured: +2 GiB at 10^8 points).
    """

    def __init__(self, *, chunks: int, chunk_size: int, device: torch.device) -> None:
        self.chunk_size = chunk_size
        # Column 0: absolute error, column 1: relative error.
        self.maxima = torch.zeros((chunks, 2), dtype=torch.float64, device=device)
        self.indices = torch.zeros((chunks, 2), dtype=torch.int64, device=device)
        # disagree, both nan, autograd not finite, symbolic not finite, exactly one side finite.
        self.counts = torch.zeros(5, dtype=torch.int64, device=device)
        self.one_side_finite_index: int | None = None

    def add(self, start: int, autograd: Tensor, symbolic: Tensor, *, rtol: float, atol: float) -> None:
        """Fold one chunk in; the chunk's largest difference (one scalar) picks the cheapest path."""
        chunk = start // self.chunk_size
        difference = (autograd - symbolic).abs_()
        largest, where = difference.max(dim=0)
        worst = float(largest)
        if worst == 0:
            # Bit-identical everywhere: any inf or nan would have made the maximum inf or nan.
            self.maxima[chunk] = 0.0
            self.indices[chunk] = where
            return
        magnitude = symbolic.abs()
        finite = math.isfinite(worst)
        if not finite:
            self._add_non_finite(start, autograd, symbolic, difference, magnitude, rtol=rtol, atol=atol)
            largest, where = difference.max(dim=0)
        self.maxima[chunk, 0] = largest
        self.indices[chunk, 0] = where
        # 0/0 is no error; x/0 with x > 0 is an infinite relative error, as in the core.
        relative = torch.div(difference, magnitude).nan_to_num_(nan=0.0, posinf=math.inf)
        largest_relative, where_relative = relative.max(dim=0)
        self.maxima[chunk, 1] = largest_relative
        self.indices[chunk, 1] = where_relative
        # Every difference is finite here, so both sides are finite everywhere. Within atol,
        # or within rtol of the value, every point agrees: counting can be skipped.
        if finite and worst > atol and float(largest_relative) > rtol:
            tolerance = magnitude * rtol
            tolerance += atol
            self.counts[0] += (difference > tolerance).sum()

    def _add_non_finite(
        self,
        start: int,
        autograd: Tensor,
        symbolic: Tensor,
        difference: Tensor,
        magnitude: Tensor,
        *,
        rtol: float,
        atol: float,
    ) -> None:
        """Count a chunk with inf or nan on either side; differences there are set to 0."""
        autograd_finite = torch.isfinite(autograd)
        symbolic_finite = torch.isfinite(symbolic)
        both_finite = autograd_finite & symbolic_finite
        agree = difference <= magnitude * rtol + atol
        agree &= both_finite
        # Equal infinities agree; where both sides are nan the point is undefined, not a disagreement.
        agree |= autograd == symbolic
        both_nan = torch.isnan(autograd) & torch.isnan(symbolic)
        agree |= both_nan
        difference.masked_fill_(~both_finite, 0.0)
        one_side_finite = autograd_finite ^ symbolic_finite
        self.counts += torch.stack(
            [
                (~agree).sum(),
                both_nan.sum(),
                (~autograd_finite).sum(),
                (~symbolic_finite).sum(),
                one_side_finite.sum(),
            ]
        )
        if self.one_side_finite_index is None and bool(one_side_finite.any()):
            self.one_side_finite_index = start + int(torch.nonzero(one_side_finite)[0])

    def result(self, locate: Callable[[int | None], GridPoint | None]) -> DerivativeStats:
        """The statistics over every chunk added."""
        (abs_error, abs_at), (rel_error, rel_at) = (self._overall(column) for column in (0, 1))
        disagree, both_nan, autograd_bad, symbolic_bad, one_side = (
            int(count) for count in self.counts.tolist()
        )
        return DerivativeStats(
            max_abs_error=abs_error,
            max_abs_error_at=locate(abs_at),
            max_rel_error=rel_error,
            max_rel_error_at=locate(rel_at),
            disagree=disagree,
            both_nan=both_nan,
            autograd_non_finite=autograd_bad,
            symbolic_non_finite=symbolic_bad,
            one_side_finite=one_side,
            one_side_finite_at=locate(self.one_side_finite_index),
        )

    def _overall(self, column: int) -> tuple[float, int | None]:
        """The largest chunk maximum and its flat index (None when it is 0: no error anywhere)."""
        maxima = self.maxima[:, column].cpu()
        if not len(maxima):
            return 0.0, None
        best = int(torch.argmax(maxima))
        largest = float(maxima[best])
        if largest == 0 or math.isnan(largest):
            return largest, None
        return largest, best * self.chunk_size + int(self.indices[best, column])


class _KinkAccumulator:
    """Grid points where a kink's argument is exactly 0, and (on one axis) sign changes between neighbours."""

    def __init__(self, probe: KinkProbe, *, one_dimensional: bool) -> None:
        self.probe = probe
        self.one_dimensional = one_dimensional
        self.on_grid = 0
        self.crossings = 0
        self.on_grid_indices: list[int] = []
        self.crossing_indices: list[int] = []
        self.previous_sign: float | None = None

    def add(
        self,
        start: int,
        coordinates: Mapping[str, Tensor],
        autograd: Mapping[str, Tensor],
        symbolic: Mapping[str, Tensor],
    ) -> Tensor | None:
        """Look for the kink in one chunk; the points exactly on it (None when none can be)."""
        argument = torch.broadcast_to(
            self.probe.compiled(coordinates), (len(next(iter(coordinates.values()))),)
        )
        low, high = (float(bound) for bound in torch.aminmax(argument))
        if low > 0 or high < 0:
            # One strict sign throughout (a nan would fail both tests): no zero, no change inside.
            side = 1.0 if low > 0 else -1.0
            self._boundary(start, side, side)
            return None
        zeros = argument == 0
        count = int(zeros.sum())
        self.on_grid += count
        if count and len(self.on_grid_indices) < KINK_EXAMPLES:
            found = torch.nonzero(zeros).flatten()[: KINK_EXAMPLES - len(self.on_grid_indices)]
            self.on_grid_indices.extend(start + int(i) for i in found.tolist())
        if not self.one_dimensional:
            return zeros
        sign = torch.sign(argument)
        self._boundary(start, float(sign[0]), float(sign[-1]))
        # A strict change of sign between neighbours: the kink lies between two grid points.
        changes = (sign[:-1] * sign[1:]) < 0
        crossing_count = int(changes.sum())
        self.crossings += crossing_count
        if crossing_count and len(self.crossing_indices) < KINK_EXAMPLES:
            found = torch.nonzero(changes).flatten()[: KINK_EXAMPLES - len(self.crossing_indices)]
            self.crossing_indices.extend(start + int(i) for i in found.tolist())
        return zeros

    def _boundary(self, start: int, first_sign: float, last_sign: float) -> None:
        """On one axis, a change of sign between the previous chunk's last point and this chunk's first."""
        if not self.one_dimensional:
            return
        if self.previous_sign is not None and self.previous_sign * first_sign < 0:
            self.crossings += 1
            if len(self.crossing_indices) < KINK_EXAMPLES:
                self.crossing_indices.append(start - 1)
        self.previous_sign = last_sign

    def result(
        self,
        axes: Sequence[AxisValues],
        function: TorchFunction,
        derivatives: Mapping[str, TorchFunction],
        dtype: torch.dtype,
    ) -> KinkStats:
        """The kink's statistics, with its example points recomputed."""

        def point(index: int) -> GridPoint:
            return grid_point(index, axes, function, derivatives, dtype)

        return KinkStats(
            kind=self.probe.kind,
            function=self.probe.function,
            label=self.probe.label,
            on_grid=self.on_grid,
            crossings=self.crossings,
            on_grid_examples=tuple(point(index) for index in self.on_grid_indices),
            crossing_examples=tuple((point(index), point(index + 1)) for index in self.crossing_indices),
        )
