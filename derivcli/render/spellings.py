"""``deriv spellings`` for people: the Clarke set, then a row per spelling; or the JSON document."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from derivcli.errors import ExitStatus
from derivcli.model.spellings import SpellingsReport, SpellingsRequest
from derivcli.model.text import format_number
from derivcli.model.versions import versions
from derivcli.render.documents.inspect import spellings_document
from derivcli.render.numbers import format_float
from derivcli.render.output import speaks_unicode
from derivcli.render.view import BaseView, verdict


def spellings_renderable(report: SpellingsReport, *, unicode: bool = True) -> Group:
    """The header (point, exact derivative, Clarke set, torch's version) and the table of spellings."""
    header = Text()
    header.append(f"f({report.wrt}) = ", style="bold")
    header.append(report.expression)
    clarke = (
        "none (the derivative is not a number here)"
        if report.clarke is None
        else f"[{format_number(report.clarke[0])}, {format_number(report.clarke[1])}]"
    )
    at_kink = report.clarke is not None and report.clarke[0] != report.clarke[1]
    convention = " (SymPy's convention at a kink)" if at_kink else ""
    summary = Text(
        f"at {report.at_input} ({report.dtype}): exact d/d{report.wrt} = {format_number(report.exact)}"
        f"{convention}; Clarke subdifferential {clarke}; torch {versions()['torch']}"
    )
    lines: list[Text | Table] = [header, summary]
    if report.rows:
        yes, no = ("✓", "✗") if unicode else ("yes", "NO")
        table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII, show_edge=False, pad_edge=False)
        table.add_column("site", no_wrap=True)
        table.add_column("spelling", overflow="fold")
        table.add_column("autograd", justify="right", no_wrap=True)
        table.add_column("in Clarke set", justify="center", no_wrap=True)
        for row in report.rows:
            mark = (
                Text("")
                if row.in_clarke is None
                else (Text(yes, style="green") if row.in_clarke else Text(no, style="bold red"))
            )
            value = (
                Text("error", style="yellow") if row.autograd is None else Text(format_float(row.autograd))
            )
            table.add_row(Text(row.site), Text(row.spelling), value, mark)
        lines.append(table)
        for row in report.rows:
            if row.error is not None:
                lines.append(Text(f"{row.spelling}: torch raised: {row.error}", style="yellow"))
    for note in report.notes:
        lines.append(Text(note, style="yellow"))
    return Group(*lines)


def print_spellings(report: SpellingsReport, console: Console) -> None:
    """Print the report on the given console."""
    console.print(spellings_renderable(report, unicode=speaks_unicode(console)))


class View(BaseView[SpellingsRequest, SpellingsReport]):
    """``deriv spellings``: a row per spelling, or the JSON document; --strict-clarke fails on one outside."""

    def present(self, report: SpellingsReport) -> ExitStatus:
        """Print the table or the document."""
        if self.out.json:
            self.out.write_json(spellings_document(report))
        else:
            print_spellings(report, self.out.console())
        return verdict(not report.outside_clarke, strict=self.request.strict_clarke)
