"""``deriv implicit`` for people: the curve, then a row per point and derivative; or the JSON document."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from derivcli.errors import ExitStatus
from derivcli.model.implicit import ImplicitReport, ImplicitRequest
from derivcli.model.text import point_label
from derivcli.render.documents.inspect import implicit_document
from derivcli.render.numbers import format_error, format_float
from derivcli.render.output import speaks_unicode
from derivcli.render.view import BaseView, verdict


def implicit_renderable(report: ImplicitReport, *, unicode: bool = True) -> Group:
    """The curve and its formulas, the table, and the notes under it."""
    yes, no = ("✓", "✗") if unicode else ("yes", "NO")
    lines: list[Text | Table] = [Text(f"curve: {report.equation}  (F = {report.function} = 0)", style="bold")]
    for name, formula in report.formulas.items():
        lines.append(Text(f"{name} = {formula}"))
    table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII, show_edge=False, pad_edge=False)
    for heading in ("point", "derivative", "exact", "symbolic", "autograd", "abs error", "agree"):
        justify = (
            "left" if heading in ("point", "derivative") else "center" if heading == "agree" else "right"
        )
        table.add_column(heading, justify=justify, no_wrap=heading != "exact")  # type: ignore[arg-type]
    notes: list[str] = []
    for point in report.points:
        label = point_label(point.at_input)
        for index, (name, value) in enumerate(point.derivatives.items()):
            mark = Text(yes, style="green") if value.agree else Text(no, style="bold red")
            if index == 0 and point.notes:
                notes.append(f"{label}: " + "; ".join(point.notes))
                mark.append(f" [{len(notes)}]", style="yellow")
            table.add_row(
                label if index == 0 else "",
                name,
                value.exact or "(too large)",
                format_float(value.symbolic),
                format_float(value.autograd),
                format_error(value.abs_error),
                mark,
            )
    lines.append(table)
    lines.extend(Text(f"[{number}] {note}", style="yellow") for number, note in enumerate(notes, start=1))
    return Group(*lines)


def print_implicit(report: ImplicitReport, console: Console) -> None:
    """Print the report on the given console."""
    console.print(implicit_renderable(report, unicode=speaks_unicode(console)))


class View(BaseView[ImplicitRequest, ImplicitReport]):
    """``deriv implicit``: the table or the JSON document; exit 1 on a disagreement under --strict."""

    def present(self, report: ImplicitReport) -> ExitStatus:
        """Print the table or the document."""
        if self.out.json:
            self.out.write_json(implicit_document(report))
        else:
            print_implicit(report, self.out.console())
        return verdict(report.all_agree, strict=self.request.strict)
