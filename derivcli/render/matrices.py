"""Derivatives as matrices for people: autograd, symbolic and their difference side by side.

User text is wrapped in :class:`rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from derivcli.model.jacobian import Matrix
from derivcli.render.numbers import format_error, format_float


def matrix_table(matrix: Matrix, *, unicode: bool) -> Table:
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
