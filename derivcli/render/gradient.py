"""A plain torch function's gradient check for people (the Python API): a row per value and derivative."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from derivcli.model.gradient import GradientReport
from derivcli.model.text import point_label
from derivcli.render.numbers import format_float


def gradient_renderable(report: GradientReport, *, unicode: bool = True) -> Group:
    """The header (function, expression, derivatives) and the table of values beside the exact ones."""
    header = Text()
    header.append(f"{report.function} against f({', '.join(report.variables)}) = ", style="bold")
    header.append(report.expression)
    shown = Text("; ".join(f"d/d{name} = {derivative}" for name, derivative in report.derivatives.items()))
    yes, no = ("✓", "✗") if unicode else ("yes", "NO")
    table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII, show_edge=False, pad_edge=False)
    for heading in ("point", "value", "expected", "got", "agree"):
        table.add_column(heading, justify="left" if heading in ("point", "value") else "right", no_wrap=True)
    for value in report.values:
        mark = Text(yes, style="green") if value.agree else Text(no, style="bold red")
        label = "f" if value.name is None else f"d/d{value.name}"
        table.add_row(
            Text(point_label(value.at, text=format_float)),
            Text(label),
            Text(format_float(value.expected)),
            Text(format_float(value.got)),
            mark,
        )
    return Group(header, shown, table)
