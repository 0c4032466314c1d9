"""Plots of a grid: the function, both derivatives and their difference (matplotlib, imported only here).

:class:`PlotCollector` is a chunk sink that keeps a thinned copy of the grid
(bounded memory whatever the number of points); :func:`write_plot` draws it
with matplotlib's headless Agg backend into a PNG or SVG file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from derivcli.gridplan import GridChunk

#: Points kept for a plot: more than a screen or a page can show.
DEFAULT_LIMIT: Final = 20_000
#: Arrows of the gradient field along each axis, at most.
ARROWS: Final = 20
FORMATS: Final = {".png": "png", ".svg": "svg"}

#: Colours that stay apart for colour-blind readers and in greyscale (Okabe-Ito).
FUNCTION_COLOUR: Final = "#000000"
AUTOGRAD_COLOUR: Final = "#0072B2"
SYMBOLIC_COLOUR: Final = "#E69F00"
ERROR_COLOUR: Final = "#D55E00"


class PlotUnavailableError(Exception):
    """matplotlib is not installed."""


class PlotCollector:
    """Keeps a thinned copy of the grid for a plot, chunk by chunk (bounded memory)."""

    def __init__(
        self,
        *,
        variables: Sequence[str],
        wrt: Sequence[str],
        shape: Sequence[int],
        limit: int = DEFAULT_LIMIT,
    ) -> None:
        if len(shape) not in (1, 2):
            raise ValueError(f"plots show one or two variables; this grid has {len(shape)}")
        self.variables = tuple(variables)
        self.wrt = tuple(wrt)
        self.shape = tuple(shape)
        if len(shape) == 1:
            # Every stride-th point is kept; the error of the points between is kept as their maximum.
            self.strides: tuple[int, ...] = (max(1, math.ceil(shape[0] / limit)),)
        else:
            side = math.sqrt(limit)
            self.strides = tuple(max(1, math.ceil(size / side)) for size in shape)
        self.kept_shape = tuple(-(-size // stride) for size, stride in zip(shape, self.strides, strict=True))
        kept = math.prod(self.kept_shape)
        self.coordinates = {name: np.full(kept, np.nan) for name in variables}
        self.value = np.full(kept, np.nan)
        self.autograd = {name: np.full(kept, np.nan) for name in wrt}
        self.symbolic = {name: np.full(kept, np.nan) for name in wrt}
        # Per kept point: the largest |autograd - symbolic| over its stretch (one axis) or at it (two).
        self.error = np.full(kept, np.nan)

    def __call__(self, chunk: GridChunk) -> None:
        """Take what the plot needs from one chunk."""
        flat = np.arange(chunk.start, chunk.start + len(chunk))
        if len(self.shape) == 1:
            self._add_one_axis(chunk, flat)
        else:
            self._add_two_axes(chunk, flat)

    def _error(self, chunk: GridChunk) -> NDArray[np.float64]:
        """The largest |autograd - symbolic| over the derivatives at each point (nan where none is finite)."""
        largest = np.full(len(chunk), np.nan)
        for name in self.wrt:
            with np.errstate(invalid="ignore", over="ignore"):
                difference = np.abs(chunk.autograd[name].astype(np.float64) - chunk.symbolic[name])
            difference[~np.isfinite(difference)] = np.nan
            largest = np.fmax(largest, difference)
        return largest

    def _add_one_axis(self, chunk: GridChunk, flat: NDArray[np.int64]) -> None:
        stride = self.strides[0]
        keep = flat % stride == 0
        slots = flat[keep] // stride
        self._store(chunk, keep, slots)
        # Bin maxima: every point's bin is its index // stride; fmax ignores nan.
        bins = flat // stride
        np.fmax.at(self.error, bins, self._error(chunk))

    def _add_two_axes(self, chunk: GridChunk, flat: NDArray[np.int64]) -> None:
        rows, columns = np.divmod(flat, self.shape[1])
        keep = (rows % self.strides[0] == 0) & (columns % self.strides[1] == 0)
        slots = (rows[keep] // self.strides[0]) * self.kept_shape[1] + columns[keep] // self.strides[1]
        self._store(chunk, keep, slots)
        self.error[slots] = self._error(chunk)[keep]

    def _store(self, chunk: GridChunk, keep: NDArray[np.bool_], slots: NDArray[np.int64]) -> None:
        for name in self.variables:
            self.coordinates[name][slots] = chunk.coordinates[name][keep]
        self.value[slots] = chunk.value[keep]
        for name in self.wrt:
            self.autograd[name][slots] = chunk.autograd[name][keep]
            self.symbolic[name][slots] = chunk.symbolic[name][keep]


def plot_format(path: Path) -> str:
    """'png' or 'svg' from the file name; anything else is a ValueError."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot tell the plot format from {path.name!r}: use a .png or .svg file name")
    return fmt


def write_plot(
    path: Path,
    collector: PlotCollector,
    *,
    expression: str,
    derivatives: Mapping[str, str],
    kinks: Sequence[Mapping[str, float]] = (),
    dtype: str = "float64",
) -> None:
    """Draw the collected grid into ``path`` (PNG or SVG)."""
    fmt = plot_format(path)
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotUnavailableError(
            "plots need matplotlib: pip install 'deriv[plot]' (or pip install matplotlib)"
        ) from None
    points = math.prod(collector.shape)
    if len(collector.shape) == 1:
        figure = Figure(figsize=(9, 6.5), layout="constrained")
        _draw_one_axis(figure, collector, expression=expression, derivatives=derivatives, kinks=kinks)
    else:
        figure = Figure(figsize=(12, 5.2), layout="constrained")
        _draw_two_axes(figure, collector, expression=expression)
    shown = math.prod(collector.kept_shape)
    thinned = f", {shown:,} shown" if shown < points else ""
    figure.suptitle(f"deriv grid: {expression}   ({points:,} points{thinned}, {dtype})", fontsize=13)
    figure.savefig(path, format=fmt, dpi=150)


def _finite(values: NDArray[np.floating]) -> NDArray[np.float64]:
    """Non-finite values as nan, which matplotlib leaves out of lines."""
    as_float = values.astype(np.float64)
    return np.where(np.isfinite(as_float), as_float, np.nan)


def _draw_one_axis(
    figure: Any,
    collector: PlotCollector,
    *,
    expression: str,
    derivatives: Mapping[str, str],
    kinks: Sequence[Mapping[str, float]],
) -> None:
    """Function and both derivatives above, their difference below."""
    (name,) = collector.variables
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    x = collector.coordinates[name]
    top.plot(
        x, _finite(collector.value), color=FUNCTION_COLOUR, linewidth=1.6, label=f"f({name}) = {expression}"
    )
    for wrt in collector.wrt:
        top.plot(
            x,
            _finite(collector.autograd[wrt]),
            color=AUTOGRAD_COLOUR,
            linewidth=2.6,
            label=f"autograd d/d{wrt}",
        )
        top.plot(
            x,
            _finite(collector.symbolic[wrt]),
            color=SYMBOLIC_COLOUR,
            linewidth=1.4,
            linestyle="--",
            label=f"symbolic d/d{wrt} = {derivatives.get(wrt, '?')}",
        )
    for index, kink in enumerate(kinks):
        if name in kink:
            top.axvline(
                kink[name], color="grey", linestyle=":", linewidth=1.2, label="kink" if index == 0 else None
            )
            bottom.axvline(kink[name], color="grey", linestyle=":", linewidth=1.2)
    top.set_ylabel("value", fontsize=12)
    top.legend(fontsize=10, loc="best")
    top.grid(alpha=0.3)
    error = collector.error
    bottom.plot(x, error, color=ERROR_COLOUR, linewidth=1.2, label="|autograd - symbolic|")
    positive = error[np.isfinite(error) & (error > 0)]
    if positive.size:
        bottom.set_yscale("symlog", linthresh=float(positive.min()))
    else:
        _say_exact(bottom)
    bottom.set_ylabel("abs error", fontsize=12)
    bottom.set_xlabel(name, fontsize=12)
    bottom.legend(fontsize=9, loc="upper right")
    bottom.grid(alpha=0.3)


def _say_exact(axes: Any) -> None:
    """Write on an error panel that the two sides are equal everywhere it shows."""
    axes.text(
        0.5,
        0.72,
        "autograd and symbolic agree exactly",
        transform=axes.transAxes,
        ha="center",
        va="center",
        fontsize=11,
        bbox={"facecolor": "white", "edgecolor": "grey", "alpha": 0.9},
    )


def _draw_two_axes(figure: Any, collector: PlotCollector, *, expression: str) -> None:
    """A heat map of f with the autograd gradient field, beside a heat map of the difference."""
    first, second = collector.variables
    rows, columns = collector.kept_shape
    u = collector.coordinates[first].reshape(rows, columns)
    v = collector.coordinates[second].reshape(rows, columns)
    # Row-major: [i, j] is at (first_i, second_j); transpose so the first variable runs along x.
    extent = (float(u[0, 0]), float(u[-1, 0]), float(v[0, 0]), float(v[0, -1]))
    left, right = figure.subplots(1, 2)
    value = _finite(collector.value).reshape(rows, columns).T
    image = left.imshow(value, origin="lower", extent=extent, aspect="auto", cmap="viridis")
    figure.colorbar(image, ax=left, label=f"f({first}, {second})")
    step_u, step_v = max(1, rows // ARROWS), max(1, columns // ARROWS)
    zeros = np.zeros(rows * columns)
    gradient_u = _finite(collector.autograd.get(first, zeros)).reshape(rows, columns)
    gradient_v = _finite(collector.autograd.get(second, zeros)).reshape(rows, columns)
    left.quiver(
        u[::step_u, ::step_v],
        v[::step_u, ::step_v],
        gradient_u[::step_u, ::step_v],
        gradient_v[::step_u, ::step_v],
        color="white",
        alpha=0.85,
    )
    left.set_title(f"f = {expression}, arrows: autograd gradient", fontsize=11)
    left.set_xlabel(first, fontsize=12)
    left.set_ylabel(second, fontsize=12)
    error = collector.error.reshape(rows, columns).T
    error_image = right.imshow(error, origin="lower", extent=extent, aspect="auto", cmap="magma")
    if not (np.isfinite(error) & (error > 0)).any():
        error_image.set_clim(0.0, 1.0)
        _say_exact(right)
    figure.colorbar(error_image, ax=right, label="largest |autograd - symbolic|")
    right.set_title("|autograd - symbolic|", fontsize=11)
    right.set_xlabel(first, fontsize=12)
    right.set_ylabel(second, fontsize=12)
