"""``deriv hessian`` for people: the matrix at each point with its symmetry, then every entry's row.

User text is wrapped in :class:`rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from derivcli.errors import ExitStatus
from derivcli.model.eval import EvalRequest
from derivcli.model.hessian import HessianReport
from derivcli.model.text import point_label
from derivcli.render import eval as eval_view
from derivcli.render.documents.eval import hessian_document
from derivcli.render.matrices import matrix_table
from derivcli.render.numbers import format_error
from derivcli.render.output import speaks_unicode
from derivcli.render.view import BaseView, verdict


def hessian_renderable(hessian: HessianReport, *, unicode: bool = True, width: int = 200) -> Group:
    """The Hessian at each point, then the full report of every entry (with its notes)."""
    parts: list[Text | Table | Group] = []
    yes, no = ("✓", "✗") if unicode else ("yes", "NO")
    for point, entry in zip(hessian.report.points, hessian.matrices, strict=True):
        parts.append(Text(f"Hessian at {point_label(point.at_input)}", style="bold"))
        parts.append(matrix_table(entry.matrix, unicode=unicode))
        parts.append(
            Text(
                f"symmetric: {yes if entry.symmetric else no} (largest |H[i,j] - H[j,i]| by autograd:"
                f" {format_error(entry.max_asymmetry)}); autograd and symbolic agree:"
                f" {yes if entry.matrix.agree else no}"
            )
        )
    parts.append(eval_view.report_renderable(hessian.report, unicode=unicode, width=width))
    return Group(*parts)


def print_hessian(hessian: HessianReport, console: Console) -> None:
    """Print a Hessian report on the given console."""
    unicode = speaks_unicode(console)
    console.print(hessian_renderable(hessian, unicode=unicode, width=console.width))


class View(eval_view.AutogradFirst, BaseView[EvalRequest, HessianReport]):
    """``deriv hessian``: the matrices and the entries, or the JSON document."""

    def present(self, report: HessianReport) -> ExitStatus:
        """Print the matrices or the document; exit 1 on a disagreement under --strict."""
        if self.out.json:
            self.out.write_json(hessian_document(report))
        else:
            print_hessian(report, self.out.console())
        return verdict(report.all_agree, strict=self.request.strict)
