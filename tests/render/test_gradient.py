"""A plain function's gradient check for people: one row per value and derivative."""

from __future__ import annotations

import io

from rich.console import Console

from derivcli.model.gradient import GradientReport, GradientValue
from derivcli.render.gradient import gradient_renderable


def test_rows() -> None:
    report = GradientReport(
        function="square",
        against="x**2",
        expression="x**2",
        variables=("x",),
        derivatives={"x": "2*x"},
        values=(
            GradientValue({"x": 3.0}, None, 9.0, 9.0, True),
            GradientValue({"x": 3.0}, "x", 6.0, 3.0, False),
        ),
    )
    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None).print(gradient_renderable(report, unicode=False))
    lines = buffer.getvalue().splitlines()
    assert lines[:2] == ["square against f(x) = x**2", "d/dx = 2*x"]
    assert [cell.strip() for cell in lines[4].split("|")] == ["x=3.0", "f", "9.0", "9.0", "yes"]
    assert [cell.strip() for cell in lines[5].split("|")] == ["x=3.0", "d/dx", "6.0", "3.0", "NO"]
