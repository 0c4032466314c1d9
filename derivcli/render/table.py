"""The human-readable form of a report: a Rich table with notes under it.

User text is always wrapped in :class:`rich.text.Text`, so markup such as
``[/bold]`` in an expression is printed literally, never interpreted.
"""

from __future__ import annotations

import math

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from derivcli.compare import Report


def format_float(value: float) -> str:
    """The shortest text that reads back as exactly this float."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def format_error(value: float) -> str:
    """Errors to three significant digits (exact zero stays 0)."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return format_float(value)
    return f"{value:.3g}"


#: Exact values longer than this are abbreviated in the table (JSON keeps them whole).
MAX_EXACT_WIDTH = 40


def shorten(text: str) -> str:
    """Abbreviate a long exact value: its start, an ellipsis and its length."""
    if len(text) <= MAX_EXACT_WIDTH:
        return text
    return f"{text[:20]}… ({len(text):,} chars)"


def _derivative_label(name: str, report: Report) -> str:
    """d/dx for one variable, ∂/∂u for several."""
    return f"d/d{name}" if len(report.variables) == 1 else f"∂/∂{name}"


def report_renderable(report: Report, *, unicode: bool = True) -> Group:
    """A Rich renderable of the whole report: expression, derivatives, table, notes."""
    header = Text()
    arguments = ", ".join(report.variables)
    header.append(f"f({arguments}) = ", style="bold")
    header.append(report.expression)
    lines: list[Text | Table] = [header]
    for name, derivative in report.derivatives.items():
        line = Text()
        line.append(f"{_derivative_label(name, report)} = ", style="bold")
        line.append(derivative)
        lines.append(line)
    if report.points:
        lines.append(_points_table(report, unicode=unicode))
    notes = _notes(report)
    for number, (where, note) in enumerate(notes, start=1):
        lines.append(Text(f"[{number}] {where}: {note}", style="yellow"))
    for note in report.notes:
        lines.append(Text(note, style="yellow"))
    return Group(*lines)


def _notes(report: Report) -> list[tuple[str, str]]:
    """(where, note) for every entry that carries a note, in table order."""
    found = []
    for point in report.points:
        label = ", ".join(f"{name}={value}" for name, value in point.at_exact.items())
        for name, entry in point.derivatives.items():
            if entry.note:
                found.append((f"{label}, {_derivative_label(name, report)}", entry.note))
    return found


def _points_table(report: Report, *, unicode: bool) -> Table:
    """One row per point and differentiation variable."""
    yes, no = ("✓", "✗") if unicode else ("yes", "NO")
    table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII, show_edge=False, pad_edge=False)
    for heading, justify in (
        ("point", "left"),
        ("f", "right"),
        ("derivative", "left"),
        ("exact", "left"),
        ("symbolic", "right"),
        ("autograd", "right"),
        ("abs error", "right"),
        ("agree", "center"),
    ):
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    note_number = 0
    for point in report.points:
        label = ", ".join(f"{name}={value}" for name, value in point.at_exact.items())
        for index, (name, entry) in enumerate(point.derivatives.items()):
            mark = Text(yes, style="green") if entry.agree else Text(no, style="bold red")
            if entry.note:
                note_number += 1
                mark.append(f" [{note_number}]", style="yellow")
            table.add_row(
                Text(label if index == 0 else ""),
                Text(format_float(point.value) if index == 0 else ""),
                Text(_derivative_label(name, report)),
                Text(shorten(entry.exact) if entry.exact is not None else "(too large)"),
                Text(format_float(entry.symbolic_value)),
                Text(format_float(entry.autograd)),
                Text(format_error(entry.abs_error)),
                mark,
            )
    return table


def print_report(report: Report, console: Console) -> None:
    """Print the report on the given console."""
    unicode = console.encoding.lower().startswith("utf")
    console.print(report_renderable(report, unicode=unicode))
