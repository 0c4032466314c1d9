"""Hessians and Jacobians for people: autograd, symbolic and their difference as matrices side by side.

User text is wrapped in :class:`rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from derivcli.core.jacobian import JacobianReport, Matrix, asymmetry, hessian_matrices, is_symmetric
from derivcli.model.eval import Report, Tolerance
from derivcli.render.table import format_error, format_float, report_renderable


def _matrix_table(matrix: Matrix, *, unicode: bool) -> Table:
    """One table: row names, then the autograd, symbolic and abs error blocks, separated by a gap."""
    table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII, show_edge=False, pad_edge=False)
    table.add_column("")
    for block in ("autograd", "symbolic", "abs error"):
        for index, column in enumerate(matrix.columns):
            heading = f"{block}: {column}" if index == 0 else column
            table.add_column(heading, justify="right", no_wrap=True)
    for row_index, name in enumerate(matrix.rows):
        cells = [Text(name)]
        cells += [Text(format_float(value)) for value in matrix.autograd[row_index]]
        cells += [Text(format_float(value)) for value in matrix.symbolic[row_index]]
        cells += [Text(format_error(value)) for value in matrix.abs_error[row_index]]
        table.add_row(*cells)
    return table


def _point_label(report: Report, index: int) -> str:
    return ", ".join(f"{name}={value}" for name, value in report.points[index].at_input.items())


def hessian_renderable(report: Report, *, unicode: bool = True, width: int = 200) -> Group:
    """The Hessian at each point, then the full report of every entry (with its notes)."""
    parts: list[Text | Table | Group] = []
    tolerance = Tolerance(report.rtol, report.atol)
    for index, matrix in enumerate(hessian_matrices(report)):
        yes, no = ("✓", "✗") if unicode else ("yes", "NO")
        symmetric = yes if is_symmetric(matrix, tolerance) else no
        largest = format_error(asymmetry(matrix))
        parts.append(Text(f"Hessian at {_point_label(report, index)}", style="bold"))
        parts.append(_matrix_table(matrix, unicode=unicode))
        parts.append(
            Text(
                f"symmetric: {symmetric} (largest |H[i,j] - H[j,i]| by autograd: {largest});"
                f" autograd and symbolic agree: {yes if matrix.agree else no}"
            )
        )
    parts.append(report_renderable(report, unicode=unicode, width=width))
    return Group(*parts)


def jacobian_renderable(report: JacobianReport, *, unicode: bool = True, width: int = 200) -> Group:
    """The Jacobian at each point, then each component's report (with its notes)."""
    parts: list[Text | Table | Group] = [
        Text(f"f({', '.join(report.variables)}) = ({', '.join(report.components)})", style="bold")
    ]
    for index, matrix in enumerate(report.matrices):
        parts.append(Text(f"Jacobian at {_point_label(report.rows[0], index)}", style="bold"))
        parts.append(_matrix_table(matrix, unicode=unicode))
    for row in report.rows:
        parts.append(report_renderable(row, unicode=unicode, width=width))
    return Group(*parts)


def print_hessian(report: Report, console: Console) -> None:
    """Print a Hessian report on the given console."""
    unicode = console.encoding.lower().startswith("utf")
    console.print(hessian_renderable(report, unicode=unicode, width=console.width))


def print_jacobian(report: JacobianReport, console: Console) -> None:
    """Print a Jacobian report on the given console."""
    unicode = console.encoding.lower().startswith("utf")
    console.print(jacobian_renderable(report, unicode=unicode, width=console.width))
