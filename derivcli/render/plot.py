"""Plots of a grid: the function, both derivatives and their difference (matplotlib, imported only here).

:class:`PlotCollector` is a chunk sink that keeps a decimated copy of the grid
(bounded memory whatever the number of points); :func:`write_plot` draws it
with matplotlib's headless Agg backend into a PNG or SVG file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from derivcli.render.plot_layers import AUTOGRAD_COLOUR, SYMBOLIC_COLOUR, broken_at, draw_bits, draw_tangents

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import NDArray

    from derivcli.model.grid import BitsAlong
    from derivcli.model.gridplan import GridChunk

#: Points kept for a plot: more than a screen or a page can show.
DEFAULT_LIMIT: Final = 20_000
#: Arrows of the gradient field along each axis, at most.
ARROWS: Final = 20
#: Below this many points a line also marks each point, so a coarse grid looks coarse.
MARKERS_UP_TO: Final = 60
#: The error axis spans at most this many decades below its largest value (float64 has ~16 digits).
ERROR_DECADES: Final = 16
#: Errors spanning fewer decades than this are drawn on a linear scale, which reads more easily.
LINEAR_DECADES: Final = 3
#: Decades labelled on a logarithmic error axis, at most (the panel is short).
ERROR_LABELS: Final = 4
FORMATS: Final = {".png": "png", ".svg": "svg"}
UNAVAILABLE: Final = "plots need matplotlib: pip install 'deriv[plot]' (or pip install matplotlib)"

#: Colours that stay apart for colour-blind readers and in greyscale (Okabe-Ito).
FUNCTION_COLOUR: Final = "#000000"
ERROR_COLOUR: Final = "#D55E00"
KINK_COLOUR: Final = "grey"


class PlotUnavailableError(Exception):
    """matplotlib is not installed, so no plot can be drawn."""


class PlotCollector:
    """Keeps a decimated copy of the grid for a plot, chunk by chunk (bounded memory)."""

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
        if len(variables) != len(shape):
            raise ValueError(f"{len(variables)} variables for a grid of {len(shape)} axes")
        if limit < 1 or min(shape) < 1:
            raise ValueError(f"a plot needs a positive limit and axes, not {limit} and {tuple(shape)}")
        self.variables = tuple(variables)
        self.wrt = tuple(wrt)
        self.shape = tuple(shape)
        # Per axis, every stride-th point is kept: k = ceil(n / limit) for one axis, and
        # ceil(n_i / sqrt(limit)) for two, so the kept points form a regular sub-grid of ~limit points.
        side = float(limit) if len(shape) == 1 else math.sqrt(limit)
        self.strides = tuple(max(1, math.ceil(size / side)) for size in shape)
        self.kept_shape = tuple(-(-size // stride) for size, stride in zip(shape, self.strides, strict=True))
        # nan until a chunk fills them: a point never seen is left out of the plot, not drawn as 0.
        self.coordinates = {name: np.full(self.kept_shape, np.nan) for name in self.variables}
        self.value = np.full(self.kept_shape, np.nan)
        self.autograd = {name: np.full(self.kept_shape, np.nan) for name in self.wrt}
        self.symbolic = {name: np.full(self.kept_shape, np.nan) for name in self.wrt}
        # The largest |autograd - symbolic| over each kept point's bin (one axis: the k points from it
        # on; two axes: the s_1 x s_2 block from it on), so a decimated plot still shows the worst error.
        self.errors = {name: np.full(self.kept_shape, np.nan) for name in self.wrt}
        # Both cases as rows x columns (one axis is a single row), so one code path fills them.
        self._grid = (1, self.shape[0]) if len(shape) == 1 else (self.shape[0], self.shape[1])
        self._grid_strides = (1, self.strides[0]) if len(shape) == 1 else (self.strides[0], self.strides[1])
        self._grid_kept = (
            (1, self.kept_shape[0]) if len(shape) == 1 else (self.kept_shape[0], self.kept_shape[1])
        )

    @property
    def kept(self) -> int:
        """How many points the plot shows."""
        return math.prod(self.kept_shape)

    @property
    def error(self) -> NDArray[np.float64]:
        """Per kept point, the largest bin error over the derivatives (nan where none was finite)."""
        largest = np.full(self.kept_shape, np.nan)
        for name in self.wrt:
            largest = np.fmax(largest, self.errors[name])
        return largest

    def __call__(self, chunk: GridChunk) -> None:
        """Take what the plot needs from one chunk of consecutive grid points."""
        # A chunk is at most a partial row, whole rows, then a partial row (one axis is one long
        # row): each piece is a rectangle of the grid, handled with slices and reshapes alone, so
        # no per-point index arithmetic is paid on a grid of 10^8 points.
        columns = self._grid[1]
        done, length = 0, len(chunk)
        while done < length:
            row, column = divmod(chunk.start + done, columns)
            if column == 0 and length - done >= columns:
                rows, width = (length - done) // columns, columns
            else:
                rows, width = 1, min(columns - column, length - done)
            self._add_rectangle(chunk, done, (row, column), (rows, width))
            done += rows * width

    def _kept(self, array: NDArray[np.float64]) -> NDArray[np.float64]:
        """A kept array seen as rows x columns (a view: writing to it fills the array)."""
        return array.reshape(self._grid_kept)

    def _add_rectangle(
        self, chunk: GridChunk, offset: int, corner: tuple[int, int], size: tuple[int, int]
    ) -> None:
        """Keep the points of ``size`` rows x columns from ``corner``, chunk entries from ``offset`` on."""
        strides = self._grid_strides
        part = slice(offset, offset + size[0] * size[1])

        def rectangle(values: NDArray[np.floating]) -> NDArray[np.floating]:
            return values[part].reshape(size)

        # Per axis: the first local index on the stride, where it lands among the kept points, and
        # where each bin starts (the first bin may have begun in an earlier chunk).
        firsts = [-start % stride for start, stride in zip(corner, strides, strict=True)]
        counts = [
            len(range(first, extent, stride))
            for first, extent, stride in zip(firsts, size, strides, strict=True)
        ]
        pick = tuple(slice(first, None, stride) for first, stride in zip(firsts, strides, strict=True))
        into = tuple(
            slice(-(-start // stride), -(-start // stride) + count)
            for start, stride, count in zip(corner, strides, counts, strict=True)
        )
        for name in self.variables:
            self._kept(self.coordinates[name])[into] = rectangle(chunk.coordinates[name])[pick]
        self._kept(self.value)[into] = rectangle(chunk.value)[pick]
        for name in self.wrt:
            self._kept(self.autograd[name])[into] = rectangle(chunk.autograd[name])[pick]
            self._kept(self.symbolic[name])[into] = rectangle(chunk.symbolic[name])[pick]
        starts = [
            np.unique(np.concatenate(([0], np.arange(first, extent, stride))))
            for first, extent, stride in zip(firsts, size, strides, strict=True)
        ]
        bins = tuple(
            slice(start // stride, start // stride + len(begun))
            for start, stride, begun in zip(corner, strides, starts, strict=True)
        )
        for name in self.wrt:
            with np.errstate(invalid="ignore", over="ignore"):
                difference = np.abs(
                    rectangle(chunk.autograd[name]).astype(np.float64) - rectangle(chunk.symbolic[name])
                )
            difference[~np.isfinite(difference)] = np.nan
            # Bin maxima along the columns, then the rows; fmax, unlike maximum, passes over nan.
            largest = np.fmax.reduceat(np.fmax.reduceat(difference, starts[1], axis=1), starts[0], axis=0)
            target = self._kept(self.errors[name])[bins]
            np.fmax(target, largest, out=target)


def plot_format(path: Path) -> str:
    """'png' or 'svg' from the file name's suffix (any case); anything else is a ValueError."""
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
    bits_along: Mapping[str, BitsAlong] | None = None,
    jumps: Sequence[Mapping[str, float]] = (),
    tangents: Sequence[tuple[float, float, float, str]] = (),
) -> None:
    """Draw the collected grid into ``path`` (PNG or SVG, from its suffix), with a bits panel if given."""
    # The format first: a bad file name is refused even where matplotlib is missing.
    fmt = plot_format(path)
    try:
        # Imported here, not at the top, so that deriv runs (and starts fast) without matplotlib.
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotUnavailableError(UNAVAILABLE) from None
    points = math.prod(collector.shape)
    with matplotlib.rc_context(
        {
            # Sizes that stay readable when the figure is shrunk onto a slide.
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 12,
            "legend.fontsize": 10,
            "figure.titlesize": 13,
            # A fixed salt makes SVG element ids, hence the files, the same from run to run.
            "svg.hashsalt": "deriv",
        }
    ):
        if len(collector.shape) == 1:
            figure = Figure(figsize=(9, 8.5 if bits_along else 6.5), layout="constrained")
            _draw_one_axis(
                figure,
                collector,
                expression=expression,
                derivatives=derivatives,
                kinks=kinks,
                jumps=jumps,
                tangents=tangents,
                bits_along=bits_along,
                dtype=dtype,
            )
        else:
            figure = Figure(figsize=(12, 5.2), layout="constrained")
            _draw_two_axes(figure, collector, expression=expression)
        shown = f", {collector.kept:,} shown" if collector.kept < points else ""
        figure.suptitle(f"deriv grid: {expression}   ({points:,} points{shown}, {dtype})")
        # No date in an SVG, so the same grid gives the same file.
        metadata = {"Date": None} if fmt == "svg" else None
        figure.savefig(path, format=fmt, dpi=150, metadata=metadata)


def _finite(values: NDArray[np.floating]) -> NDArray[np.float64]:
    """Non-finite values as nan, which matplotlib leaves out of lines and images."""
    as_float = values.astype(np.float64)
    return np.where(np.isfinite(as_float), as_float, np.nan)


def _linthresh(positive: NDArray[np.float64]) -> float | None:
    """Where a symlog error scale turns linear, or None where a linear scale shows the errors well.

    The threshold is the smallest error, but at most ERROR_DECADES below the
    largest: errors further down are rounding noise next to the largest, and
    are drawn near 0 rather than stretching the scale over hundreds of decades.
    """
    smallest, largest = float(positive.min()), float(positive.max())
    if largest < smallest * 10.0**LINEAR_DECADES:
        return None
    return max(smallest, largest * 10.0**-ERROR_DECADES)


def _error_ticks(linthresh: float, largest: float) -> list[float]:
    """0 and at most ERROR_LABELS whole decades, counted down from the one above the largest error.

    matplotlib's own symlog ticks start at the threshold, whose label then
    overlaps the label of 0 just below it; counting from the top avoids that.
    """
    top = math.ceil(math.log10(largest))
    low = math.floor(math.log10(linthresh))
    stride = max(1, math.ceil((top - low) / ERROR_LABELS))
    return [0.0, *sorted(10.0**exponent for exponent in range(top, low, -stride))]


def _draw_one_axis(
    figure: Figure,
    collector: PlotCollector,
    *,
    expression: str,
    derivatives: Mapping[str, str],
    kinks: Sequence[Mapping[str, float]],
    bits_along: Mapping[str, BitsAlong] | None = None,
    dtype: str = "float64",
    jumps: Sequence[Mapping[str, float]] = (),
    tangents: Sequence[tuple[float, float, float, str]] = (),
) -> None:
    """Function and both derivatives above, the worst |autograd - symbolic| per bin below (then bits lost)."""
    (name,) = collector.variables
    if bits_along:
        top, bottom, lowest = figure.subplots(3, 1, sharex=True, height_ratios=(3, 1, 1))
        draw_bits(lowest, bits_along, dtype=dtype)
    else:
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    x = collector.coordinates[name]
    # On a coarse grid the points themselves are drawn, so straight segments are not taken for the curve.
    marker = "o" if collector.kept <= MARKERS_UP_TO else None
    # f is not drawn as one line across a jump: the line breaks there.
    broken_x, broken_value = broken_at(
        x, _finite(collector.value), [jump[name] for jump in jumps if name in jump]
    )
    top.plot(
        broken_x,
        broken_value,
        color=FUNCTION_COLOUR,
        linewidth=1.6,
        marker=marker,
        markersize=4,
        label=f"f({name}) = {expression}",
    )
    for wrt in collector.wrt:
        # autograd wide and solid under symbolic thin and dashed: where they agree both stay visible.
        top.plot(
            x,
            _finite(collector.autograd[wrt]),
            color=AUTOGRAD_COLOUR,
            linewidth=2.8,
            marker=marker,
            markersize=6,
            label=f"autograd d/d{wrt}",
        )
        top.plot(
            x,
            _finite(collector.symbolic[wrt]),
            color=SYMBOLIC_COLOUR,
            linewidth=1.4,
            linestyle="--",
            marker=marker,
            markersize=3,
            label=f"symbolic d/d{wrt} = {derivatives.get(wrt, '?')}",
        )
    for places, kind, style in ((kinks, "kink", ":"), (jumps, "jump", "-.")):
        labelled = False
        for place in places:
            if name in place:
                # Labelled once in the legend, however many there are.
                label = None if labelled else kind
                top.axvline(place[name], color=KINK_COLOUR, linestyle=style, linewidth=1.4, label=label)
                bottom.axvline(place[name], color=KINK_COLOUR, linestyle=style, linewidth=1.4)
                labelled = True
    draw_tangents(top, x, tangents)
    top.set_ylabel("value")
    top.legend(loc="best")
    top.grid(alpha=0.3)
    error = collector.error
    # Each kept error is the worst over the k points from its x on: a step, when k > 1, says so.
    steps = "steps-post" if collector.strides[0] > 1 else "default"
    bottom.plot(x, error, color=ERROR_COLOUR, linewidth=1.3, drawstyle=steps, label="|autograd - symbolic|")
    finite = error[np.isfinite(error)]
    positive = finite[finite > 0]
    if positive.size:
        linthresh = _linthresh(positive)
        if linthresh is not None:
            from matplotlib.ticker import FixedLocator, NullLocator

            # symlog keeps exact zeros on the axis (log would drop them) and spreads tiny errors apart.
            bottom.set_yscale("symlog", linthresh=linthresh)
            ticks = _error_ticks(linthresh, float(positive.max()))
            bottom.yaxis.set_major_locator(FixedLocator(ticks))
            bottom.yaxis.set_minor_locator(NullLocator())
            # Up to the top labelled decade, so the largest error sits under a labelled line.
            bottom.set_ylim(0, ticks[-1] * 1.5)
        else:
            bottom.set_ylim(bottom=0)
    elif finite.size:
        _note(bottom, "autograd and symbolic agree exactly")
    else:
        _note(bottom, "no point where both derivatives are finite")
    bottom.set_ylabel("abs error")
    (lowest if bits_along else bottom).set_xlabel(name)
    bottom.legend(loc="upper right")
    bottom.grid(alpha=0.3)


def _note(axes: Axes, text: str) -> None:
    """Write a remark across a panel (why an error panel shows nothing)."""
    axes.text(
        0.5,
        0.7,
        text,
        transform=axes.transAxes,
        ha="center",
        va="center",
        bbox={"facecolor": "white", "edgecolor": "grey", "alpha": 0.9},
    )


def _extent(centres: NDArray[np.float64]) -> tuple[float, float]:
    """Outer edges of evenly spaced cells centred on ``centres`` (a lone point gets a unit-wide cell)."""
    first, last = float(centres[0]), float(centres[-1])
    half = (last - first) / (len(centres) - 1) / 2 if len(centres) > 1 and last != first else 0.5
    return first - half, last + half


def _draw_two_axes(figure: Figure, collector: PlotCollector, *, expression: str) -> None:
    """A heat map of f with the autograd gradient field, beside a heat map of the worst difference."""
    first, second = collector.variables
    u = collector.coordinates[first]
    v = collector.coordinates[second]
    # Row-major: [i, j] is at (first_i, second_j); images have rows along y, so transpose them to put
    # the first variable along x, and extend each edge by half a cell so cells centre on their points.
    extent = (*_extent(u[:, 0]), *_extent(v[0, :]))
    left, right = figure.subplots(1, 2)
    image = left.imshow(
        _finite(collector.value).T, origin="lower", extent=extent, aspect="auto", cmap="viridis"
    )
    figure.colorbar(image, ax=left, label=f"f({first}, {second})")
    _draw_gradient(left, collector, u, v)
    missing = [name for name in collector.variables if name not in collector.wrt]
    arrows = "autograd gradient" + (f" (d/d{missing[0]} drawn as 0)" if len(missing) == 1 else "")
    left.set_title(f"f = {expression}; arrows: {arrows}" if collector.wrt else f"f = {expression}")
    left.set_xlabel(first)
    left.set_ylabel(second)

    error = collector.error.T
    finite = error[np.isfinite(error)]
    positive = finite[finite > 0]
    ticks: list[float] | None = None
    # Light for 0, dark for the worst: the eye goes to where the two disagree.
    if positive.size:
        from matplotlib.colors import Normalize, SymLogNorm

        linthresh = _linthresh(positive)
        if linthresh is None:
            norm: Normalize = Normalize(vmin=0.0, vmax=float(positive.max()))
        else:
            # As on the one-variable error axis: a few decades labelled, the top one included.
            ticks = _error_ticks(linthresh, float(positive.max()))
            norm = SymLogNorm(linthresh=linthresh, vmin=0.0, vmax=ticks[-1])
        error_image = right.imshow(
            error, origin="lower", extent=extent, aspect="auto", cmap="magma_r", norm=norm
        )
    else:
        error_image = right.imshow(
            error, origin="lower", extent=extent, aspect="auto", cmap="magma_r", vmin=0, vmax=1
        )
        _note(
            right,
            "autograd and symbolic agree exactly" if finite.size else "no point where both are finite",
        )
    over = ", ".join(f"d/d{name}" for name in collector.wrt)
    label = "worst in each block" + (f", over {over}" if len(collector.wrt) > 1 else "")
    bar = figure.colorbar(error_image, ax=right, label=label)
    if ticks is not None:
        bar.set_ticks(ticks)
        bar.minorticks_off()
    right.set_title("|autograd - symbolic|")
    right.set_xlabel(first)
    right.set_ylabel(second)


def _draw_gradient(
    axes: Axes, collector: PlotCollector, u: NDArray[np.float64], v: NDArray[np.float64]
) -> None:
    """The autograd gradient as at most ARROWS x ARROWS arrows (0 for a variable not differentiated)."""
    if not collector.wrt:
        return
    first, second = collector.variables
    rows, columns = collector.kept_shape
    step_u, step_v = math.ceil(rows / ARROWS), math.ceil(columns / ARROWS)
    # Start half a step in, so the arrows sit evenly inside the map rather than on its left and lower edges.
    pick = (slice(step_u // 2, None, step_u), slice(step_v // 2, None, step_v))
    zeros = np.zeros(collector.kept_shape)
    du = _finite(collector.autograd.get(first, zeros))[pick]
    dv = _finite(collector.autograd.get(second, zeros))[pick]
    # Masked, not nan: quiver leaves masked arrows out without a warning.
    axes.quiver(
        u[pick],
        v[pick],
        np.ma.masked_invalid(du),
        np.ma.masked_invalid(dv),
        color="white",
        edgecolor="black",
        linewidth=0.4,
        alpha=0.9,
    )
