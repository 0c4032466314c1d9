"""``deriv grid``: the checked request and the report, frozen dataclasses apart from the engine.

Rendering a grid report (and unpickling the one the worker process computed)
needs these types, but neither SymPy nor torch.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.bits import BitsSummary
from derivcli.model.eval import Tangent
from derivcli.model.files import check_outputs
from derivcli.model.gridplan import GridPlan, make_grid_plan
from derivcli.model.plan import Plan, make_plan, split_names
from derivcli.model.setup import Mode, Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_count, parse_point, parse_range

#: Plot formats, by file suffix.
PLOT_SUFFIXES = (".png", ".svg")


@dataclass(frozen=True, slots=True)
class GridRequest:
    """A checked ``deriv grid`` run: the grid, the setup, the engine's knobs and where the points go."""

    plan: GridPlan
    setup: Setup
    chunk_size: int | None = None
    compile_chunks: bool = False
    csv: str | None = None
    jsonl: str | None = None
    plot: str | None = None
    strict: bool = False
    bits: bool = False
    #: With --at (one variable): where the tangent lines are given, and drawn on the plot.
    tangents: Plan | None = None
    #: Whether progress is shown (on a terminal): the worker then sends it back as it goes.
    progress: bool = False

    @property
    def wants_chunks(self) -> bool:
        """True when an output (CSV, JSON Lines, a plot) needs every point, chunk by chunk."""
        return any(path is not None for path in (self.csv, self.jsonl, self.plot))

    @property
    def points_to_stdout(self) -> bool:
        """True when CSV, JSON Lines or the terminal plot go to stdout (the summary then goes to stderr)."""
        return "-" in (self.csv, self.jsonl, self.plot)


def grid_request(
    *,
    expression: str,
    ranges: Sequence[str],
    num: str,
    wrt: Sequence[str],
    setup: Setup,
    json_output: bool = False,
    chunk_size: str | None = None,
    compile_chunks: bool = False,
    csv: str | None = None,
    jsonl: str | None = None,
    plot: str | None = None,
    strict: bool = False,
    progress: bool = False,
    bits: bool = False,
    at: Sequence[str] = (),
) -> GridRequest:
    """Check the ranges, counts and outputs before any work (no SymPy, no torch), or raise DerivError."""
    plan = make_grid_plan(
        expression=parse_expression(expression),
        ranges=[parse_range(text) for text in ranges],
        num=parse_count(num, option="--num"),
        wrt=split_names(wrt, option="--wrt"),
    )
    chunk = None if chunk_size is None else parse_count(chunk_size, option="--chunk-size")
    to_stdout = [name for name, path in (("--csv", csv), ("--jsonl", jsonl), ("--plot", plot)) if path == "-"]
    if len(to_stdout) > 1 or (to_stdout and json_output):
        taken = [f"{name} -" for name in to_stdout] + (["--json"] if json_output else [])
        listed = f"{', '.join(taken[:-1])} and {taken[-1]}"
        raise DerivError(
            ErrorKind.BAD_OPTION,
            f"{listed} {'both' if len(taken) == 2 else 'all'} write to stdout: send all but one to a file",
        )
    check_outputs(
        [(option, path) for option, path in (("--csv", csv), ("--jsonl", jsonl), ("--plot", plot)) if path]
    )
    if plot is not None:
        _check_plot(plot, dimensions=len(plan.axes))
    return GridRequest(
        plan=plan,
        setup=setup,
        chunk_size=chunk,
        compile_chunks=compile_chunks,
        csv=csv,
        jsonl=jsonl,
        plot=plot,
        strict=strict,
        progress=progress,
        bits=bits,
        tangents=_tangent_points(plan, at),
    )


def _tangent_points(plan: GridPlan, at: Sequence[str]) -> Plan | None:
    """The --at points of a grid of one variable, where tangent lines are wanted; None without --at."""
    if not at:
        return None
    if len(plan.axes) != 1:
        raise DerivError(ErrorKind.BAD_OPTION, "--at draws tangent lines on a grid of one variable")
    return make_plan(mode=Mode.EVAL, expression=plan.expression, points=[parse_point(text) for text in at])


def _check_plot(path: str, *, dimensions: int) -> None:
    """Refuse a plot that cannot be made, before any work is done."""
    if path == "-":
        # In the terminal, with plotext: one variable, f and its derivative against it.
        if dimensions != 1:
            raise DerivError(
                ErrorKind.BAD_OPTION,
                f"--plot - draws one variable in the terminal; this grid has {dimensions}: write a .png",
            )
        if importlib.util.find_spec("plotext") is None:
            raise DerivError(
                ErrorKind.UNSUPPORTED,
                "--plot - needs plotext: pip install 'deriv[plot]' (or pip install plotext)",
            )
        return
    if dimensions > 2:
        raise DerivError(
            ErrorKind.BAD_OPTION, f"--plot shows one or two variables; this grid has {dimensions}"
        )
    if Path(path).suffix.lower() not in PLOT_SUFFIXES:
        raise DerivError(
            ErrorKind.BAD_OPTION, f"--plot {path!r}: cannot tell the format; use a .png or .svg file name"
        )
    if importlib.util.find_spec("matplotlib") is None:
        raise DerivError(
            ErrorKind.UNSUPPORTED,
            "--plot needs matplotlib: pip install 'deriv[plot]' (or pip install matplotlib)",
        )


@dataclass(frozen=True, slots=True)
class GridPoint:
    """One grid point with both sides' derivatives there."""

    at: Mapping[str, float]
    autograd: Mapping[str, float]
    symbolic: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class KinkStats:
    """Where the grid meets one kink: points exactly on it, and neighbours on either side of it."""

    kind: str
    function: str
    label: str
    on_grid: int
    crossings: int
    on_grid_examples: tuple[GridPoint, ...]
    crossing_examples: tuple[tuple[GridPoint, GridPoint], ...]


@dataclass(frozen=True, slots=True)
class DerivativeStats:
    """The comparison of one derivative over the whole grid.

    Errors are taken over points where both sides are finite; ``disagree``
    counts points outside tolerance, except where both sides are nan.
    """

    max_abs_error: float
    max_abs_error_at: GridPoint | None
    max_rel_error: float
    max_rel_error_at: GridPoint | None
    disagree: int
    both_nan: int
    autograd_non_finite: int
    symbolic_non_finite: int
    one_side_finite: int = 0
    one_side_finite_at: GridPoint | None = None


@dataclass(frozen=True, slots=True)
class DerivativeBits:
    """``grid --bits``: the bits each witness loses over the grid (None: no point had an exact number)."""

    autograd: BitsSummary | None
    symbolic: BitsSummary | None


@dataclass(frozen=True, slots=True)
class BitsAlong:
    """The bits each witness loses at each measured point of a grid of one axis (for the plot)."""

    x: tuple[float, ...]
    autograd: tuple[float, ...]
    symbolic: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class AxisReport:
    """One axis: its ends as typed, exactly, and as floats of the dtype."""

    name: str
    start: float
    stop: float
    num: int
    start_input: str
    stop_input: str
    start_exact: str
    stop_exact: str


@dataclass(frozen=True, slots=True)
class GridReport:
    """The result of ``deriv grid``."""

    input: str
    expression: str
    variables: tuple[str, ...]
    wrt: tuple[str, ...]
    axes: tuple[AxisReport, ...]
    points: int
    device: str
    dtype: str
    rtol: float
    atol: float
    chunk_size: int
    threads: int
    derivatives: Mapping[str, str]
    stats: Mapping[str, DerivativeStats]
    value_non_finite: int
    kinks: tuple[KinkStats, ...]
    elapsed_s: float
    notes: tuple[str, ...]
    #: Grid points exactly on at least one kink, in the dtype.
    kink_hits: int = 0
    #: With --at: the tangent line at each of those points (x0 with its line), for the summary and the plot.
    tangents: tuple[tuple[float, Tangent], ...] = ()
    #: With --bits: each derivative's bits lost over the grid; None without.
    bits: Mapping[str, DerivativeBits] | None = None
    #: With --bits on one axis: the bits point by point, for the plot's extra panel.
    bits_along: Mapping[str, BitsAlong] | None = None

    @property
    def points_per_s(self) -> float:
        """Grid points per second of evaluation."""
        return self.points / self.elapsed_s if self.elapsed_s > 0 else math.inf

    @property
    def disagree(self) -> int:
        """Point-derivative pairs outside tolerance (not counting those where both sides are nan)."""
        return sum(stats.disagree for stats in self.stats.values())

    @property
    def all_agree(self) -> bool:
        """True when no derivative disagrees anywhere on the grid."""
        return self.disagree == 0

    def worst(self, key: str) -> tuple[str | None, float, GridPoint | None]:
        """The derivative with the largest error (``key``: "abs" or "rel"), that error and its point."""
        best: tuple[str | None, float, GridPoint | None] = (None, 0.0, None)
        for name, stats in self.stats.items():
            error = stats.max_abs_error if key == "abs" else stats.max_rel_error
            if best[0] is None or error > best[1] or (math.isnan(error) and not math.isnan(best[1])):
                at = stats.max_abs_error_at if key == "abs" else stats.max_rel_error_at
                best = (name, error, at)
        return best
