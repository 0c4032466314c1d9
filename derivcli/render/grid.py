"""``deriv grid`` for people: the summary (one row per derivative, kinks, speed), and the grid's outputs.

While the worker computes, each chunk goes to the CSV and JSON Lines writers
and the plot collector this view opened; then the plot is drawn and the
summary (or the JSON document) printed.

User text is wrapped in :class:`rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from derivcli.errors import ExitStatus
from derivcli.model.grid import GridPoint, GridReport, GridRequest
from derivcli.model.gridplan import GridChunk
from derivcli.model.setup import Tolerance
from derivcli.model.text import format_number, point_label
from derivcli.render.documents.grid import grid_document
from derivcli.render.numbers import format_error, format_float
from derivcli.render.output import Output, speaks_unicode, write_failed
from derivcli.render.progress import ProgressBar
from derivcli.render.view import BaseView, verdict

if TYPE_CHECKING:
    from derivcli.render.plot import PlotCollector


def _where(point: GridPoint | None) -> str:
    """Coordinates of a point, or a dash where there is none (no error anywhere)."""
    if point is None:
        return "-"
    return point_label(point.at, text=format_float)


def _count(number: int, total: int) -> str:
    """A count with its share of the grid when it is not 0."""
    if number == 0:
        return "0"
    return f"{number:,} ({100 * number / total:.3g}%)"


def _points(number: int, total: int | None = None) -> str:
    """'1 point', '2,000 points', with the share of ``total`` when given: '3 points (60%)'."""
    text = f"{number:,} point{'' if number == 1 else 's'}"
    return text if total is None else f"{text} ({100 * number / total:.3g}%)"


def _non_finite(autograd: int, symbolic: int) -> str:
    """How many values are inf or nan on each side ('0' when none are)."""
    if autograd == symbolic == 0:
        return "0"
    return f"autograd {autograd:,}, symbolic {symbolic:,}"


def _rate(points_per_s: float) -> str:
    """Points per second in engineering style (1.2e7 as 12.0 M)."""
    if not math.isfinite(points_per_s):
        return "-"
    for factor, unit in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if points_per_s >= factor:
            return f"{points_per_s / factor:.1f}{unit}"
    return f"{points_per_s:.0f} "


def grid_summary(report: GridReport, *, unicode: bool = True, width: int = 200) -> Group:
    """A Rich renderable of the whole grid report."""
    arguments = ", ".join(report.variables)
    header = Text()
    header.append(f"f({arguments}) = ", style="bold")
    header.append(report.expression)
    axes = "; ".join(
        f"{axis.name} from {axis.start_input} to {axis.stop_input} ({_points(axis.num)})"
        for axis in report.axes
    )
    shape = f" = {report.points:,} points" if len(report.axes) > 1 else ""
    grid_line = Text(f"grid: {axes}{shape}")
    run_line = Text(
        f"ran on {report.device}, {report.dtype}, in {report.elapsed_s:.3g} s"
        f" ({_rate(report.points_per_s)}points/s, chunks of {report.chunk_size:,}, {report.threads} threads)"
    )
    lines: list[Text | Table] = [
        header,
        grid_line,
        run_line,
        *_derivative_table(report, unicode=unicode, width=width),
    ]
    if report.value_non_finite:
        lines.append(
            Text(f"f is not finite at {_points(report.value_non_finite, report.points)}", style="yellow")
        )
    for stats_name, stats in report.stats.items():
        if stats.both_nan:
            lines.append(
                Text(
                    f"d/d{stats_name}: both sides are nan at {_points(stats.both_nan, report.points)}"
                    " (not counted as disagreements)",
                    style="yellow",
                )
            )
    lines.extend(_bits_lines(report, unicode=unicode))
    (name,) = report.variables[:1] or ("x",)
    for x0, tangent in report.tangents:
        lines.append(Text(f"tangent at {name}={format_number(x0)}: y = {tangent.exact}"))
    for note in report.notes:
        lines.append(Text(note, style="yellow"))
    if report.disagree:
        lines.append(Text(f"disagreements: {report.disagree:,}", style="bold red"))
    return Group(*lines)


def _bits_lines(report: GridReport, *, unicode: bool) -> list[Text]:
    """With --bits: the largest and mean bits each witness loses, per derivative, and where."""
    if report.bits is None:
        return []
    several = len(report.variables) > 1
    lines = []
    for name, entry in report.bits.items():
        label = f"∂/∂{name}" if unicode and several else f"d/d{name}"
        sides = [
            f"{side} loses up to {summary.max:.1f} bits"
            f" (at {point_label(dict(summary.max_at), text=format_number)}), {summary.mean:.2f} on average"
            for side, summary in (
                ("autograd", entry.autograd),
                (f"symbolic in {report.dtype}", entry.symbolic),
            )
            if summary is not None
        ]
        text = "; ".join(sides) if sides else "no point has an exact number to measure against"
        lines.append(Text(f"{label} bits of error: {text}"))
    return lines


_HEADINGS = ("derivative", "max abs error", "at", "max rel error", "at", "disagree", "non-finite")


def _derivative_rows(report: GridReport, *, unicode: bool) -> list[list[Text]]:
    """One row per derivative: formula, worst errors and where, disagreements, non-finite values."""
    several = len(report.variables) > 1
    rows = []
    for name, stats in report.stats.items():
        label = f"∂/∂{name}" if unicode and several else f"d/d{name}"
        disagree = Text(
            _count(stats.disagree, report.points), style="bold red" if stats.disagree else "green"
        )
        rows.append(
            [
                Text(f"{label} = {report.derivatives[name]}"),
                Text(format_error(stats.max_abs_error)),
                Text(_where(stats.max_abs_error_at)),
                Text(format_error(stats.max_rel_error)),
                Text(_where(stats.max_rel_error_at)),
                disagree,
                Text(_non_finite(stats.autograd_non_finite, stats.symbolic_non_finite)),
            ]
        )
    return rows


def _derivative_table(report: GridReport, *, unicode: bool, width: int) -> list[Text | Table]:
    """The rows as a table, or as blocks of 'heading value' lines when the table would not fit."""
    rows = _derivative_rows(report, unicode=unicode)
    widest = [
        max(len(heading), *(row[column].cell_len for row in rows)) for column, heading in enumerate(_HEADINGS)
    ]
    if sum(widest) + 2 * (len(widest) - 1) > width:
        blocks: list[Text | Table] = []
        for row in rows:
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(overflow="fold")
            for heading, cell in zip(_HEADINGS, row, strict=True):
                grid.add_row(Text(heading), cell)
            blocks.append(grid)
        return blocks
    table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII, show_edge=False, pad_edge=False)
    for heading in _HEADINGS:
        justify = "left" if heading in ("derivative", "at") else "right"
        table.add_column(heading, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*row)
    return [table]


def print_grid_summary(report: GridReport, console: Console) -> None:
    """Print the grid summary on the given console."""
    unicode = speaks_unicode(console)
    console.print(grid_summary(report, unicode=unicode, width=console.width))


class View(BaseView[GridRequest, GridReport]):
    """``deriv grid``: points streamed to the files asked for, then the plot and the summary or JSON."""

    def __init__(self, request: GridRequest, out: Output) -> None:
        super().__init__(request, out)
        plan = request.plan
        self._sinks: list[Callable[[GridChunk], None]] = []
        if request.csv is not None or request.jsonl is not None:
            from derivcli.render.stream import CsvWriter, JsonLinesWriter, csv_header

            if request.csv is not None:
                # A variable named like a column is refused before any file is created.
                csv_header(plan.variables, plan.wrt)
                stream = out.open(request.csv, option="--csv")
                self._sinks.append(CsvWriter(stream, variables=plan.variables, wrt=plan.wrt))
            if request.jsonl is not None:
                stream = out.open(request.jsonl, option="--jsonl")
                self._sinks.append(JsonLinesWriter(stream, variables=plan.variables, wrt=plan.wrt))
        self._collector: PlotCollector | None = None
        if request.plot is not None:
            from derivcli.render.plot import PlotCollector

            self._collector = PlotCollector(variables=plan.variables, wrt=plan.wrt, shape=plan.shape)
            self._sinks.append(self._collector)
        self._progress = ProgressBar(total=plan.points)
        out.keep(self._progress)

    def receive(self, event: object) -> None:
        """Progress (done, total) to the bar; a chunk of points to every output."""
        if isinstance(event, tuple):
            self._progress(*event)
            return
        assert isinstance(event, GridChunk)
        for sink in self._sinks:
            sink(event)

    def present(self, report: GridReport) -> ExitStatus:
        """Close the point files, draw the plot, print the summary or the document."""
        # The files are complete and the bar gone before anything else is written.
        self.out.close()
        if self._collector is not None and self.request.plot == "-":
            self._plot_in_terminal(report)
        elif self._collector is not None and self.request.plot is not None:
            from derivcli.render.plot import write_plot

            try:
                write_plot(
                    Path(self.request.plot),
                    self._collector,
                    expression=report.expression,
                    derivatives=report.derivatives,
                    kinks=kink_points(report, kind="kink"),
                    jumps=kink_points(report, kind="jump"),
                    dtype=report.dtype,
                    bits_along=report.bits_along,
                    tangents=[
                        (x0, tangent.slope, tangent.intercept, tangent.exact)
                        for x0, tangent in report.tangents
                        if tangent.slope is not None and tangent.intercept is not None
                    ],
                )
            except OSError as error:
                raise write_failed(self.request.plot, error) from None
            # The plot is a file, not output: say where it went, on stderr.
            sys.stderr.write(f"wrote {self.request.plot}\n")
        if self.out.json:
            self.out.write_json(grid_document(report))
        else:
            # With the points on stdout, the summary is a message: it goes to stderr.
            print_grid_summary(report, self.out.console(messages=self.request.points_to_stdout))
        return verdict(report.all_agree, strict=self.request.strict)

    def _plot_in_terminal(self, report: GridReport) -> None:
        """``--plot -``: the plot as text on stdout (the summary then goes to stderr)."""
        from derivcli.render.terminal_plot import terminal_plot

        assert self._collector is not None
        console = self.out.console()
        (variable,) = report.variables
        text = terminal_plot(
            self._collector,
            expression=report.expression,
            derivatives=report.derivatives,
            kinks=[point[variable] for point in kink_points(report, kind="kink")],
            tolerance=Tolerance(rtol=report.rtol, atol=report.atol),
            width=console.width if console.is_terminal else None,
            color=console.is_terminal and console.color_system is not None,
            unicode=speaks_unicode(console),
        )
        sys.stdout.write(text + "\n")


def kink_points(report: GridReport, *, kind: str) -> list[dict[str, float]]:
    """Where the plot marks kinks (or jumps): grid points on one, halfway between neighbours around one."""
    chosen = [kink for kink in report.kinks if kink.kind == kind]
    kinks = [dict(point.at) for kink in chosen for point in kink.on_grid_examples]
    kinks += [
        {name: (left.at[name] + right.at[name]) / 2 for name in left.at}
        for kink in chosen
        for left, right in kink.crossing_examples
    ]
    return kinks
