"""``deriv check`` for people: one row per check, pass, FAIL or n/a, with the reason.

User text is wrapped in :class:`rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from derivcli.errors import ExitStatus
from derivcli.model.check import FAIL, PASS, CheckReport, CheckRequest
from derivcli.model.text import point_label
from derivcli.render.documents.inspect import check_document
from derivcli.render.numbers import format_error
from derivcli.render.output import speaks_unicode
from derivcli.render.view import BaseView


def check_renderable(report: CheckReport, *, unicode: bool = True) -> Group:
    """Header, the checks, and the verdict."""
    points = "; ".join(point_label(point, text=repr) for point in report.points)
    derivatives = ", ".join(f"d/d{name} = {text}" for name, text in report.derivatives.items())
    header = Text()
    header.append(f"{report.function}", style="bold")
    header.append(f" from {report.file} against f({', '.join(report.variables)}) = {report.expression}")
    lines: list[Text | Table] = [header, Text(f"{derivatives}; points: {points}")]
    table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII, show_edge=False, pad_edge=False)
    table.add_column("check", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("max abs error", justify="right", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for check in report.checks:
        if check.status == PASS:
            result = Text("✓ pass" if unicode else "pass", style="green")
        elif check.status == FAIL:
            result = Text("✗ FAIL" if unicode else "FAIL", style="bold red")
        else:
            result = Text("n/a", style="dim")
        error = "" if check.max_abs_error is None else format_error(check.max_abs_error)
        table.add_row(Text(check.name), result, Text(error), Text(check.message))
    lines.append(table)
    failed = [check for check in report.checks if check.status == FAIL]
    if failed:
        lines.append(Text(f"{len(failed)} of {len(report.checks)} checks failed", style="bold red"))
    else:
        lines.append(Text("every check passed", style="green"))
    return Group(*lines)


def print_check(report: CheckReport, console: Console) -> None:
    """Print the check report on the given console."""
    unicode = speaks_unicode(console)
    console.print(check_renderable(report, unicode=unicode))


class View(BaseView[CheckRequest, CheckReport]):
    """``deriv check``: a row per check, or the JSON document; exit 1 when a check fails."""

    def present(self, report: CheckReport) -> ExitStatus:
        """Print the checks or the document."""
        if self.out.json:
            self.out.write_json(check_document(report))
        else:
            print_check(report, self.out.console())
        return ExitStatus.OK if report.passed else ExitStatus.DISAGREEMENT
