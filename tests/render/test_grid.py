"""The grid summary for people: table or records by width, counts, notes, plain text."""

from __future__ import annotations

import io

from rich.console import Console

from derivcli.core.grid import GridOptions, run_grid
from derivcli.model.grid import GridReport
from derivcli.model.gridplan import make_grid_plan
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_range
from derivcli.render.grid import print_grid_summary


def grid(text: str, *ranges: str, num: int) -> GridReport:
    plan = make_grid_plan(expression=parse_expression(text), ranges=[parse_range(r) for r in ranges], num=num)
    return run_grid(plan, GridOptions())


def render(report: GridReport, width: int) -> list[str]:
    stream = io.StringIO()
    console = Console(file=stream, width=width, color_system=None, highlight=False)
    print_grid_summary(report, console)
    return stream.getvalue().splitlines()


def test_wide_summary_is_one_table_row_per_derivative() -> None:
    lines = render(grid("u*v + u**2", "u=-1:1", "v=-1:1", num=3), width=160)
    assert lines[:2] == [
        "f(u, v) = u**2 + u*v",
        "grid: u from -1 to 1 (3 points); v from -1 to 1 (3 points) = 9 points",
    ]
    assert lines[3].split() == [
        "derivative",
        "max",
        "abs",
        "error",
        "at",
        "max",
        "rel",
        "error",
        "at",
        "disagree",
        "non-finite",
    ]
    assert [line.split()[:3] for line in lines[5:7]] == [["∂/∂u", "=", "2*u"], ["∂/∂v", "=", "u"]]


def test_narrow_summary_becomes_records() -> None:
    lines = render(grid("10*x**3", "x=-10:10", num=100), width=60)
    assert "derivative     d/dx = 30*x**2" in [line.rstrip() for line in lines]
    assert any(line.startswith("at             x=-9.393939393939394") for line in lines)


def test_disagreements_and_kinks_are_spelled_out() -> None:
    lines = render(grid("relu(x)", "x=-1:1", num=5), width=200)
    assert "disagreements: 1" in lines
    assert "relu(x) has a kink on 1 grid point, e.g. at x=0: autograd 0, symbolic 0.5" in lines


def test_non_finite_values_are_counted() -> None:
    lines = render(grid("sqrt(x)", "x=-1:1", num=5), width=200)
    assert "f is not finite at 2 points (40%)" in lines
    assert "d/dx: both sides are nan at 2 points (40%) (not counted as disagreements)" in lines
    assert lines[5].split()[-4:] == ["autograd", "3,", "symbolic", "3"]
