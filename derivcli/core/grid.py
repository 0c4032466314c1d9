"""``deriv grid``: both witnesses over a whole grid, summarised into one frozen report.

:func:`run_grid` differentiates symbolically once, translates the expression
(as written) and each symbolic derivative into torch, and hands them to the
chunked engine in :mod:`derivcli.core.numeric.grid`; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy

from derivcli.core.bits.grid import MAX_MEASURED, grid_bits
from derivcli.core.compare import dtype_value
from derivcli.core.numeric.grid import (
    AxisValues,
    ChunkSink,
    KinkProbe,
    ProgressCallback,
    evaluate_grid,
)
from derivcli.core.numeric.sympy_translate import compile_expression
from derivcli.core.numeric.translate import compile_tree
from derivcli.core.symbolic.build import SymbolicExpression, build, differentiate
from derivcli.core.symbolic.display import display_form
from derivcli.core.symbolic.exact import point_value
from derivcli.core.symbolic.findings import kink_sites
from derivcli.core.symbolic.forms import tangent_at
from derivcli.model.eval import Tangent
from derivcli.model.grid import AxisReport, DerivativeBits, DerivativeStats, GridPoint, GridReport, KinkStats
from derivcli.model.gridplan import GridPlan
from derivcli.model.plan import Plan
from derivcli.model.setup import Setup
from derivcli.model.text import format_number, point_label
from derivcli.worker.board import step


@dataclass(frozen=True, slots=True)
class GridOptions:
    """How to compute a grid: the setup (device, dtype, tolerances), the chunk size, compilation."""

    setup: Setup = field(default_factory=Setup)
    chunk_size: int | None = None
    compile_chunks: bool = False
    bits: bool = False
    tangents: Plan | None = None


def run_grid(
    plan: GridPlan,
    options: GridOptions,
    *,
    on_chunk: ChunkSink | None = None,
    progress: ProgressCallback | None = None,
) -> GridReport:
    """Differentiate once symbolically, then compare with autograd at every grid point."""
    tolerance = options.setup.tolerance
    step("building the SymPy expression")
    built = build(plan.expression, extra_variables=plan.variables)
    step("differentiating")
    raw = {name: differentiate(built.expr, built.symbols[name]) for name in plan.wrt}
    step("reading the ranges exactly")
    axes = []
    reports = []
    for axis in plan.axes:
        start = point_value(axis.start, name=axis.name)
        stop = point_value(axis.stop, name=axis.name)
        start_float = dtype_value(start, axis.start, name=axis.name, dtype=options.setup.dtype)
        stop_float = dtype_value(stop, axis.stop, name=axis.name, dtype=options.setup.dtype)
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
    step("finding kinks and translating to torch")
    probes = [
        KinkProbe(site.kind, site.function, site.label, compile_expression(site.argument))
        for site in kink_sites(built.expr)
    ]
    function = compile_tree(plan.expression)
    derivatives = {name: compile_expression(derivative) for name, derivative in raw.items()}
    # The grid runs on the same budget as the symbolic work: --timeout bounds the whole command.
    step("evaluating the grid")
    stats = evaluate_grid(
        function=function,
        derivatives=derivatives,
        kinks=probes,
        axes=axes,
        device=options.setup.device,
        dtype=options.setup.dtype,
        rtol=tolerance.rtol,
        atol=tolerance.atol,
        chunk_size=options.chunk_size,
        compile_chunks=options.compile_chunks,
        on_chunk=on_chunk,
        progress=progress,
    )
    bits, bits_along = None, None
    if options.bits:
        step("measuring bits of error against exact values")
        bits, bits_along = grid_bits(
            function=function,
            derivatives=derivatives,
            exact=raw,
            symbols=built.symbols,
            axes=axes,
            variables=plan.variables,
            dtype=options.setup.dtype,
            device=options.setup.device,
        )
    tangents: tuple[tuple[float, Tangent], ...] = ()
    if options.tangents is not None:
        step("finding the tangent lines")
        tangents = _tangents(options.tangents, built, raw[plan.wrt[0]], options.setup.dtype)
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
        derivatives=_shown(raw),
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
            *(_measured_note(bits) if bits else ()),
        ),
        bits=bits,
        bits_along=bits_along,
        kink_hits=stats.kink_hits,
        tangents=tangents,
    )


def _tangents(
    points: Plan, built: SymbolicExpression, derivative: sympy.Expr, dtype: str
) -> tuple[tuple[float, Tangent], ...]:
    """The tangent line at each --at point (where f and f' have numbers there)."""
    found = []
    for assignments in points.points:
        exact_point = {
            built.symbols[name]: point_value(item, name=name) for name, item in assignments.items()
        }
        tangent = tangent_at(built.expr, derivative, exact_point)
        if tangent is not None:
            ((value,),) = [tuple(exact_point.values())]
            found.append(
                (dtype_value(value, next(iter(assignments.values())), name="x", dtype=dtype), tangent)
            )
    return tuple(found)


def _measured_note(bits: Mapping[str, DerivativeBits]) -> tuple[str, ...]:
    """Say so when the bits were measured at a sample of the grid, not at every point."""
    counts = {
        summary.measured for entry in bits.values() for summary in (entry.autograd, entry.symbolic) if summary
    }
    if not counts or max(counts) < MAX_MEASURED:
        return ()
    return (
        f"bits of error measured at {max(counts):,} points spread evenly over the grid, not at every point",
    )


def _point(point: GridPoint) -> str:
    return point_label(point.at, text=format_number)


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


def _shown(raw: Mapping[str, sympy.Expr]) -> dict[str, str]:
    """Each derivative as displayed (rewriting is symbolic work, on the budget)."""
    step("rewriting the derivatives for display")
    shown = {name: str(display_form(derivative)) for name, derivative in raw.items()}
    step("summarising")
    return shown
