"""``deriv grid --plot -``: f and its derivative drawn in the terminal with plotext, on stdout.

plotext is imported only here, and only for ``--plot -``. The symbolic
derivative is drawn as a line; autograd's is drawn only where it differs from
it (beyond the tolerance), as marks, so that a disagreement stands out and an
agreement does not hide one line under another; where autograd has no number
(nan, inf), a mark sits on the symbolic line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from derivcli.model.setup import Tolerance
from derivcli.render.plot import PlotCollector

#: Rows of the plot (plotext's canvas, axes and title included).
PLOT_HEIGHT: Final = 24
#: Columns when the terminal's width is unknown.
DEFAULT_WIDTH: Final = 100


def terminal_plot(
    collector: PlotCollector,
    *,
    expression: str,
    derivatives: Mapping[str, str],
    kinks: Sequence[float],
    tolerance: Tolerance,
    width: int | None,
    color: bool,
    unicode: bool,
) -> str:
    """The plot as text: f, each derivative (symbolic), and autograd where it differs, kinks marked."""
    import plotext as plt

    (variable,) = collector.variables
    xs = collector.coordinates[variable]
    plt.clear_figure()
    plt.plotsize(width or DEFAULT_WIDTH, PLOT_HEIGHT)
    plt.theme("default" if color else "clear")
    marker = "hd" if unicode else "*"
    _line(plt, xs, collector.value, label=f"f = {expression}", marker=marker)
    for name, shown in derivatives.items():
        symbolic = collector.symbolic[name]
        _line(plt, xs, symbolic, label=f"d/d{name} = {shown} (symbolic)", marker=marker)
        autograd = collector.autograd[name].astype(np.float64)
        differs = _differs(autograd, symbolic, tolerance)
        if differs.any():
            plt.scatter(
                xs[differs].tolist(),
                autograd[differs].tolist(),
                label=f"d/d{name}: autograd, where it differs",
                marker="x",
            )
        # A nan or inf cannot be placed: marked on the symbolic line instead.
        broken = ~np.isfinite(autograd) & np.isfinite(symbolic) & np.isfinite(xs)
        if broken.any():
            plt.scatter(
                xs[broken].tolist(),
                symbolic[broken].tolist(),
                label=f"d/d{name}: autograd nan or inf here",
                marker="!",
            )
    for kink in kinks:
        plt.vertical_line(kink)
    plt.title(f"{expression} on [{_number(float(np.nanmin(xs)))}, {_number(float(np.nanmax(xs)))}]")
    plt.xlabel(variable)
    text: str = plt.build()
    if not color:
        text = plt.uncolorize(text)
    return text if unicode else text.translate(_ASCII_FRAME)


#: plotext's frame in ASCII, for terminals that cannot show box-drawing characters.
_ASCII_FRAME: Final = str.maketrans("┌┐└┘─│┤├┬┴┼", "++++-|+++++")


def _line(plt: Any, xs: NDArray[np.float64], ys: NDArray[np.float64], *, label: str, marker: str) -> None:
    """One series, without its non-finite points (plotext cannot place them)."""
    finite = np.isfinite(xs) & np.isfinite(ys)
    if finite.any():
        plt.plot(xs[finite].tolist(), ys[finite].tolist(), label=label, marker=marker)


def _differs(
    autograd: NDArray[np.float64], symbolic: NDArray[np.float64], tolerance: Tolerance
) -> NDArray[np.bool_]:
    """Where autograd is finite and outside the tolerance around a finite symbolic value."""
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(autograd - symbolic)
        limit = tolerance.atol + tolerance.rtol * np.abs(symbolic)
        differs: NDArray[np.bool_] = np.isfinite(autograd) & np.isfinite(symbolic) & (gap > limit)
    return differs


def _number(value: float) -> str:
    """An axis end, short."""
    return f"{value:g}" if math.isfinite(value) else str(value)
