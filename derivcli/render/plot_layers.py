"""The plot's extra layers for a grid of one variable: bits lost, tangent lines, and gaps at jumps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from numpy.typing import NDArray

    from derivcli.model.grid import BitsAlong

#: Colours of the layers (Okabe-Ito, as the rest of the plot).
AUTOGRAD_COLOUR: Final = "#0072B2"
SYMBOLIC_COLOUR: Final = "#E69F00"
TANGENT_COLOUR: Final = "#CC79A7"


def draw_tangents(
    axes: Axes,
    x: NDArray[np.float64],
    tangents: Sequence[tuple[float, float, float, str]],
) -> None:
    """Each tangent line y = slope*x + intercept across the plot, its point marked; the y range stays."""
    # The curves set the y range: a steep tangent would otherwise squash them.
    bottom, top = axes.get_ylim()
    for x0, slope, intercept, exact in tangents:
        axes.plot(
            x, slope * x + intercept, color=TANGENT_COLOUR, linewidth=1.1, label=f"tangent: y = {exact}"
        )
        axes.plot([x0], [slope * x0 + intercept], "o", color=TANGENT_COLOUR, markersize=5)
    axes.set_ylim(bottom, top)


def broken_at(
    x: NDArray[np.float64], values: NDArray[np.float64], breaks: Sequence[float]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The curve with a gap (nan) at each break, so that matplotlib does not join across it."""
    if not breaks:
        return x, values
    positions = np.searchsorted(x, np.array(sorted(breaks)), side="right")
    return np.insert(x, positions, np.nan), np.insert(values, positions, np.nan)


def draw_bits(axes: Axes, bits_along: Mapping[str, BitsAlong], *, dtype: str) -> None:
    """Bits of error of each witness at each measured point, from 0 to the dtype's width."""
    for wrt, along in bits_along.items():
        axes.plot(along.x, along.autograd, color=AUTOGRAD_COLOUR, linewidth=1.6, label=f"autograd d/d{wrt}")
        axes.plot(
            along.x,
            along.symbolic,
            color=SYMBOLIC_COLOUR,
            linewidth=1.2,
            linestyle="--",
            label=f"symbolic d/d{wrt} in {dtype}",
        )
    axes.set_ylim(-0.5, (64 if dtype == "float64" else 32) + 0.5)
    axes.set_ylabel("bits lost")
    axes.legend(loc="upper right")
    axes.grid(alpha=0.3)
