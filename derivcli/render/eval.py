"""``deriv eval`` and ``partial`` for people: a Rich table with notes under it, or the JSON document.

User text is always wrapped in :class:`rich.text.Text`, so markup such as
``[/bold]`` in an expression is printed literally, never interpreted.
"""

from __future__ import annotations

import io
import itertools

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from derivcli.errors import DerivError, ExitStatus
from derivcli.model.eval import AutogradOnly, DerivativeEntry, EvalRequest, PointReport, Report
from derivcli.model.text import point_label
from derivcli.render.bits import bits_cell, explanation
from derivcli.render.documents.eval import autograd_only_document, report_document
from derivcli.render.numbers import format_error, format_float
from derivcli.render.output import Output, speaks_unicode
from derivcli.render.view import BaseView, verdict

_MIN_WRAPPED_WIDTH = 16
#: A width no table reaches: the layout Rich would choose with room to spare.
_UNLIMITED = 100_000

#: Exact values longer than this are abbreviated in the table (JSON keeps them whole).
MAX_EXACT_WIDTH = 40


def shorten(text: str) -> str:
    """Abbreviate a long exact value: its start, an ellipsis and its length."""
    if len(text) <= MAX_EXACT_WIDTH:
        return text
    return f"{text[:20]}… ({len(text):,} chars)"


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def derivative_label(key: str, *, partial: bool, unicode: bool) -> str:
    """d/dx, d²/dx², ∂²/∂u∂v (∂ for a function of several variables); d2/dx2, d2/du dv in ASCII."""
    names = key.split(",")
    symbol = "∂" if unicode and partial else "d"

    def power(count: int) -> str:
        if count == 1:
            return ""
        return str(count).translate(_SUPERSCRIPTS) if unicode else str(count)

    # Repeated variables next to each other are written once with a power: dx dx -> dx².
    groups = [(name, len(list(run))) for name, run in itertools.groupby(names)]
    denominator = ("" if unicode else " ").join(f"{symbol}{name}{power(count)}" for name, count in groups)
    return f"{symbol}{power(len(names))}/{denominator}"


def _derivative_label(name: str, report: Report, *, unicode: bool) -> str:
    """The label of a derivative in this report."""
    return derivative_label(name, partial=len(report.variables) > 1, unicode=unicode)


def report_renderable(report: Report, *, unicode: bool = True, width: int = 200) -> Group:
    """A Rich renderable of the whole report: expression, table (or records), notes.

    When the table cannot fit ``width`` without cutting numbers, each row
    becomes a block of ``name value`` lines instead.
    """
    header = Text()
    arguments = ", ".join(report.variables)
    header.append(f"f({arguments}) = ", style="bold")
    header.append(report.expression)
    lines: list[Text | Table] = [header]
    if report.points:
        headings = _headings(report)
        rows = _rows(report, unicode=unicode)
        table = _points_table(rows, headings, unicode=unicode)
        if _fits(table, width):
            lines.append(table)
        else:
            lines.extend(_records(rows, headings))
    else:
        # Without points there is no table: the derivatives go under the expression.
        for name, derivative in report.derivatives.items():
            line = Text()
            line.append(f"{_derivative_label(name, report, unicode=unicode)} = ", style="bold")
            line.append(derivative)
            lines.append(line)
    notes = _notes(report, unicode=unicode)
    for number, (where, note) in enumerate(notes, start=1):
        lines.append(Text(f"[{number}] {where}: {note}", style="yellow"))
    for point in report.points:
        if point.tangent is not None:
            lines.append(Text(f"tangent at {point_label(point.at_input)}: y = {point.tangent.exact}"))
    if report.latex is not None:
        lines.append(Text(f"LaTeX: f({arguments}) = {report.latex.function}"))
        for name, latex in report.latex.derivatives.items():
            lines.append(Text(f"LaTeX: {_derivative_label(name, report, unicode=unicode)} = {latex}"))
    for note in report.notes:
        lines.append(Text(note, style="yellow"))
    return Group(*lines)


_HEADINGS = ("point", "f", "derivative", "exact", "symbolic", "autograd", "abs error", "agree")
#: With --fd: the finite difference and its distance from the exact value, after autograd's columns.
_FD_HEADINGS = (
    "point",
    "f",
    "derivative",
    "exact",
    "symbolic",
    "autograd",
    "abs error",
    "fd",
    "fd error",
    "agree",
)
#: With --bits: the bits each witness loses, before the verdict.
_BITS_HEADINGS = ("autograd bits", "symbolic bits")
_WRAPPING = frozenset({"derivative", "exact"})


def _note(entry: DerivativeEntry) -> str | None:
    """Everything said under the table about one entry: its note, then what --bits found."""
    said = [text for text in (entry.note, explanation(entry.bits, entry.rewrites)) if text]
    return "; ".join(said) or None


def _notes(report: Report, *, unicode: bool) -> list[tuple[str, str]]:
    """(where, note) for every entry that carries a note, in table order."""
    found = []
    for point in report.points:
        label = point_label(point.at_input)
        for name, entry in point.derivatives.items():
            note = _note(entry)
            if note:
                found.append((f"{label}, {_derivative_label(name, report, unicode=unicode)}", note))
    return found


def _has_fd(report: Report) -> bool:
    return any(entry.fd is not None for point in report.points for entry in point.derivatives.values())


def _has_bits(report: Report) -> bool:
    return any(entry.bits is not None for point in report.points for entry in point.derivatives.values())


def _headings(report: Report) -> tuple[str, ...]:
    """The table's columns: with the finite-difference witness and the bits lost when asked for."""
    headings = _FD_HEADINGS if _has_fd(report) else _HEADINGS
    if _has_bits(report):
        headings = (*headings[:-1], *_BITS_HEADINGS, headings[-1])
    return headings


def _rows(report: Report, *, unicode: bool) -> list[list[Text]]:
    """One row of cells per point and differentiation variable, in heading order."""
    yes, no = ("✓", "✗") if unicode else ("yes", "NO")
    # At a symbolic point there is no number to show, nor a verdict: the note under the table says why.
    none = "—" if unicode else "-"
    with_fd, with_bits = _has_fd(report), _has_bits(report)
    rows: list[list[Text]] = []
    note_number = 0
    for point in report.points:
        label = point_label(point.at_input)
        for index, (name, entry) in enumerate(point.derivatives.items()):
            if entry.agree is None:
                mark = Text(none)
            else:
                mark = Text(yes, style="green") if entry.agree else Text(no, style="bold red")
            if _note(entry):
                note_number += 1
                mark.append(f" [{note_number}]", style="yellow")
            cells = [
                Text(label if index == 0 else ""),
                Text(_value_cell(point) if index == 0 else ""),
                Text(f"{_derivative_label(name, report, unicode=unicode)} = {entry.symbolic}"),
                Text(shorten(entry.exact) if entry.exact is not None else "(too large)"),
                Text(_number_cell(entry.symbolic_value, none="")),
                Text(_number_cell(entry.autograd, none=none)),
                Text("" if entry.abs_error is None else format_error(entry.abs_error)),
            ]
            if with_fd:
                fd_error = "" if entry.fd_abs_error is None else format_error(entry.fd_abs_error)
                cells += [Text(_number_cell(entry.fd, none="")), Text(fd_error)]
            if with_bits:
                bits = entry.bits
                cells += [
                    Text("" if bits is None else bits_cell(bits.autograd)),
                    Text("" if bits is None else bits_cell(bits.symbolic)),
                ]
            rows.append([*cells, mark])
    return rows


def _value_cell(point: PointReport) -> str:
    """f at the point: its float, or its expression at a symbolic point."""
    if point.value is not None:
        return format_float(point.value)
    return "" if point.value_exact is None else shorten(point.value_exact)


def _number_cell(value: float | None, *, none: str) -> str:
    """A number of the table, or ``none`` where there is none."""
    return none if value is None else format_float(value)


def _points_table(rows: list[list[Text]], headings: tuple[str, ...], *, unicode: bool) -> Table:
    """The rows as a table whose number columns never shrink below their widest value."""
    table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII, show_edge=False, pad_edge=False)
    for column, heading in enumerate(headings):
        widest = max([len(heading), *(row[column].cell_len for row in rows)])
        if heading in _WRAPPING:
            table.add_column(heading, overflow="fold", min_width=min(widest, _MIN_WRAPPED_WIDTH))
        else:
            justify = "left" if heading == "point" else "center" if heading == "agree" else "right"
            table.add_column(heading, justify=justify, no_wrap=True, min_width=widest)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*row)
    return table


def _fits(table: Table, width: int) -> bool:
    """True when Rich draws the table within ``width`` without cutting a column that does not wrap.

    Asked of Rich's own layout: it narrows wrapping columns only down to their
    longest word, and past that it cuts every column, numbers included.
    """
    console = Console(width=width, file=io.StringIO(), color_system=None)
    options = console.options
    # The box's column separators take a character each, outside the columns' widths.
    room = width - table._extra_width
    natural = table._calculate_column_widths(console, options.update_width(_UNLIMITED))
    drawn = table._calculate_column_widths(console, options.update_width(room))
    kept = all(
        drawn_width >= natural_width
        for drawn_width, natural_width, column in zip(drawn, natural, table.columns, strict=True)
        if column.no_wrap
    )
    return kept and sum(drawn) <= room


def _records(rows: list[list[Text]], headings: tuple[str, ...]) -> list[Text | Table]:
    """Each row as a block of 'heading value' lines, for terminals too narrow for the table."""
    blocks: list[Text | Table] = []
    for row in rows:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for heading, cell in zip(headings, row, strict=True):
            if cell.plain:
                grid.add_row(Text(heading), cell)
        blocks.append(grid)
        blocks.append(Text(""))
    return blocks


def print_report(report: Report, console: Console) -> None:
    """Print the report on the given console."""
    unicode = speaks_unicode(console)
    console.print(report_renderable(report, unicode=unicode, width=console.width))


def print_autograd_only(result: AutogradOnly, console: Console) -> None:
    """Print autograd's answers alone (the symbolic side ran out of time after them)."""
    unicode = speaks_unicode(console)
    partial = len(result.variables) > 1
    header = Text()
    header.append(f"f({', '.join(result.variables)}) = ", style="bold")
    header.append(result.input)
    header.append("  (autograd only: no symbolic result)", style="yellow")
    table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII, show_edge=False, pad_edge=False)
    for heading in ("point", "f", "derivative", "autograd"):
        table.add_column(heading, justify="left" if heading in ("point", "derivative") else "right")
    for point in result.points:
        label = point_label(point.at_input)
        for index, (name, value) in enumerate(point.derivatives.items()):
            table.add_row(
                label if index == 0 else "",
                format_float(point.value) if index == 0 else "",
                derivative_label(name, partial=partial, unicode=unicode),
                format_float(value),
            )
    console.print(Group(header, table))


class AutogradFirst:
    """A view whose work sends autograd's answers before the symbolic side's: on a timeout, shown alone."""

    autograd: AutogradOnly | None = None
    out: Output

    def receive(self, event: object) -> None:
        """Keep autograd's answers, which come before the symbolic side's."""
        if isinstance(event, AutogradOnly):
            self.autograd = event

    def present_partial(self, error: DerivError) -> bool:
        """Print autograd's answers alone when the symbolic side ran out of time after them."""
        if self.autograd is None:
            return False
        if self.out.json:
            self.out.write_json(autograd_only_document(self.autograd, error))
        else:
            print_autograd_only(self.autograd, self.out.console())
        return True


class View(AutogradFirst, BaseView[EvalRequest, Report]):
    """``deriv eval`` and ``partial``: a row per point and derivative, or the JSON document."""

    def present(self, report: Report) -> ExitStatus:
        """Print the table or the document; exit 1 on a disagreement under --strict."""
        if self.out.json:
            self.out.write_json(report_document(report))
        else:
            print_report(report, self.out.console())
        request = self.request
        failed = (
            (request.strict and not report.all_agree)
            or (request.strict_clarke and report.outside_clarke)
            or (request.strict_unexplained and report.unexplained > 0)
        )
        return verdict(not failed, strict=True)
