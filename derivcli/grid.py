"""``deriv grid``: both witnesses over a whole grid, summarised into one frozen report.

:func:`run_grid` differentiates symbolically once, translates the expression
(as written) and each symbolic derivative into torch, and hands them to the
chunked engine in :mod:`derivcli.numeric.grid`; nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from derivcli import numeric, symbolic
from derivcli.compare import dtype_value, format_number, resolve_tolerance
from derivcli.gridplan import GridPlan
from derivcli.numeric.grid import (
    AxisValues,
    ChunkSink,
    DerivativeStats,
    GridPoint,
    KinkProbe,
    KinkStats,
    ProgressCallback,
    evaluate_grid,
)


@dataclass(frozen=True, slots=True)
class GridOptions:
    """How to compute a grid: device, dtype, tolerances, chunk size (None: measured default), compilation."""

    device: str = "cpu"
    dtype: str = "float64"
    rtol: float | None = None
    atol: float | None = None
    chunk_size: int | None = None
    compile_chunks: bool = False


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


def run_grid(
    plan: GridPlan,
    options: GridOptions,
    *,
    on_chunk: ChunkSink | None = None,
    progress: ProgressCallback | None = None,
) -> GridReport:
    """Differentiate once symbolically, then compare with autograd at every grid point."""
    tolerance = resolve_tolerance(options.dtype, rtol=options.rtol, atol=options.atol)
    built = symbolic.build(plan.expression, extra_variables=plan.variables)
    raw = {name: symbolic.differentiate(built.expr, built.symbols[name]) for name in plan.wrt}
    axes = []
    reports = []
    for axis in plan.axes:
        start = symbolic.point_value(axis.start, name=axis.name)
        stop = symbolic.point_value(axis.stop, name=axis.name)
        start_float = dtype_value(start, axis.start, name=axis.name, dtype=options.dtype)
        stop_float = dtype_value(stop, axis.stop, name=axis.name, dtype=options.dtype)
        axes.append(AxisValues(axis.name, start_float, stop_float, axis.num))
        reports.append(
            AxisReport(
                name=axis.name,
                start=start_float,
                stop=stop_float,
                num=axis.num,
                start_input=axis.start.text,
                stop_input=axis.stop.text,
                start_exact=str(start),
                stop_exact=str(stop),
            )
        )
    probes = [
        KinkProbe(site.kind, site.function, site.label, numeric.compile_expression(site.argument))
        for site in symbolic.kink_sites(built.expr)
    ]
    stats = evaluate_grid(
        function=numeric.compile_tree(plan.expression),
        derivatives={name: numeric.compile_expression(derivative) for name, derivative in raw.items()},
        kinks=probes,
        axes=axes,
        device=options.device,
        dtype=options.dtype,
        rtol=tolerance.rtol,
        atol=tolerance.atol,
        chunk_size=options.chunk_size,
        compile_chunks=options.compile_chunks,
        on_chunk=on_chunk,
        progress=progress,
    )
    return GridReport(
        input=plan.expression.text,
        expression=str(built.expr),
        variables=plan.variables,
        wrt=plan.wrt,
        axes=tuple(reports),
        points=stats.points,
        device=stats.device,
        dtype=stats.dtype,
        rtol=tolerance.rtol,
        atol=tolerance.atol,
        chunk_size=stats.chunk_size,
        threads=stats.threads,
        derivatives={name: str(symbolic.display_form(derivative)) for name, derivative in raw.items()},
        stats=stats.derivatives,
        value_non_finite=stats.value_non_finite,
        kinks=stats.kinks,
        elapsed_s=stats.elapsed_s,
        notes=(
            *(kink_note(kink) for kink in stats.kinks if kink.on_grid or kink.crossings),
            *(
                one_side_finite_note(name, entry)
                for name, entry in stats.derivatives.items()
                if entry.one_side_finite_at is not None
            ),
        ),
    )


def _point(point: GridPoint) -> str:
    return ", ".join(f"{name}={format_number(value)}" for name, value in point.at.items())


def _sides(point: GridPoint) -> str:
    """Both sides' derivatives at a point, e.g. 'autograd 0, symbolic 0.5'."""
    if len(point.autograd) == 1:
        (name,) = point.autograd
        return (
            f"autograd {format_number(point.autograd[name])}, symbolic {format_number(point.symbolic[name])}"
        )
    return "; ".join(
        f"d/d{name}: autograd {format_number(autograd)}, symbolic {format_number(point.symbolic[name])}"
        for name, autograd in point.autograd.items()
    )


def one_side_finite_note(name: str, stats: DerivativeStats) -> str:
    """Where one side is inf or nan and the other a number: those points disagree, and say where."""
    assert stats.one_side_finite_at is not None
    example = stats.one_side_finite_at
    count = f"{stats.one_side_finite:,} point{'s' if stats.one_side_finite > 1 else ''}"
    return (
        f"d/d{name}: one side is inf or nan where the other is a number at {count},"
        f" e.g. at {_point(example)}: {_sides(example)}"
    )


def kink_note(kink: KinkStats) -> str:
    """Where the grid meets a kink or jump, and what each side gave there, in words."""
    shape = "a kink" if kink.kind == "kink" else "a jump"
    parts = []
    if kink.on_grid:
        example = kink.on_grid_examples[0]
        count = f"{kink.on_grid:,} grid point{'s' if kink.on_grid > 1 else ''}"
        parts.append(f"{kink.label} has {shape} on {count}, e.g. at {_point(example)}: {_sides(example)}")
    if kink.crossings:
        left, right = kink.crossing_examples[0]
        where = (
            "between two grid points:"
            if kink.crossings == 1
            else f"between grid points at {kink.crossings:,} places, e.g."
        )
        parts.append(
            f"{kink.label} has {shape} {where} {_point(left)} ({_sides(left)})"
            f" and {_point(right)} ({_sides(right)})"
        )
    return "; ".join(parts)
