"""``deriv jacobian`` for people: the matrix at each point, then each component's rows.

User text is wrapped in :class:`rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from derivcli.errors import ExitStatus
from derivcli.model.jacobian import JacobianReport, JacobianRequest
from derivcli.model.text import point_label
from derivcli.render.documents.eval import jacobian_document
from derivcli.render.eval import report_renderable
from derivcli.render.matrices import matrix_table
from derivcli.render.output import speaks_unicode
from derivcli.render.view import BaseView, verdict


def jacobian_renderable(report: JacobianReport, *, unicode: bool = True, width: int = 200) -> Group:
    """The Jacobian at each point, then each component's report (with its notes)."""
    parts: list[Text | Table | Group] = [
        Text(f"f({', '.join(report.variables)}) = ({', '.join(report.components)})", style="bold")
    ]
    yes, no = ("✓", "✗") if unicode else ("yes", "NO")
    for point, matrix in zip(report.rows[0].points, report.matrices, strict=True):
        parts.append(Text(f"Jacobian at {point_label(point.at_input)}", style="bold"))
        parts.append(matrix_table(matrix, unicode=unicode))
        parts.append(Text(f"autograd and symbolic agree: {yes if matrix.agree else no}"))
    for row in report.rows:
        parts.append(report_renderable(row, unicode=unicode, width=width))
    return Group(*parts)


def print_jacobian(report: JacobianReport, console: Console) -> None:
    """Print a Jacobian report on the given console."""
    unicode = speaks_unicode(console)
    console.print(jacobian_renderable(report, unicode=unicode, width=console.width))


class View(BaseView[JacobianRequest, JacobianReport]):
    """``deriv jacobian``: the matrices and the rows, or the JSON document."""

    def present(self, report: JacobianReport) -> ExitStatus:
        """Print the matrices or the document; exit 1 on a disagreement under --strict."""
        if self.out.json:
            self.out.write_json(jacobian_document(report))
        else:
            print_jacobian(report, self.out.console())
        return verdict(report.all_agree, strict=self.request.strict)
