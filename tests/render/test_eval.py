"""The table for people: contents, literal user text, plain output off a terminal."""

from __future__ import annotations

import dataclasses
import io

from rich.console import Console

from derivcli.core.compare import Options, compare
from derivcli.model.plan import make_plan
from derivcli.model.setup import Mode
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point
from derivcli.render.eval import print_report
from derivcli.render.numbers import format_error, format_float


def render(
    text: str, *points: str, mode: Mode = Mode.EVAL, encoding: str = "utf-8", options: Options | None = None
) -> str:
    plan = make_plan(
        mode=mode, expression=parse_expression(text), points=[parse_point(p, symbolic=True) for p in points]
    )
    buffer = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    console = Console(file=buffer, width=200, color_system=None)
    print_report(compare(plan, options or Options()), console)
    buffer.seek(0)
    return buffer.read()


def test_table_rows() -> None:
    lines = render("6*x**2+2*x+4", "x=3", "x=-1").splitlines()
    assert lines[0] == "f(x) = 6*x**2 + 2*x + 4"
    headings = ["point", "f", "derivative", "exact", "symbolic", "autograd", "abs", "error", "agree"]
    assert lines[1].split() == headings
    assert lines[3].split() == ["x=3", "64.0", "d/dx", "=", "12*x", "+", "2", "38", "38.0", "38.0", "0", "✓"]
    assert lines[4].split() == [
        "x=-1",
        "8.0",
        "d/dx",
        "=",
        "12*x",
        "+",
        "2",
        "-10",
        "-10.0",
        "-10.0",
        "0",
        "✓",
    ]


def test_partial_rows_and_notes() -> None:
    output = render("abs(u) + v", "u=0,v=1", mode=Mode.PARTIAL)
    assert "∂/∂u = sign(u)" in output
    assert "∂/∂v = 1" in output
    assert "[1] u=0, v=1, ∂/∂u: not differentiable at u=0, v=1: abs(u) has a kink" in output


def test_ascii_fallback() -> None:
    output = render("relu(x)", "0", encoding="ascii")
    assert "NO [1]" in output
    assert "✗" not in output


def test_no_escape_codes_without_colour() -> None:
    assert "\x1b[" not in render("relu(x)", "0")


def test_number_formats() -> None:
    assert format_float(0.1) == "0.1"
    assert format_float(float("-inf")) == "-inf"
    assert format_error(0.0) == "0"
    assert format_error(1.2345e-9) == "1.23e-09"


def test_long_exact_values_are_abbreviated() -> None:
    output = render("x**1000", "3")
    assert "44069027316026887896… (480 chars)" in output


def test_narrow_terminal_gets_records_with_whole_numbers() -> None:
    plan = make_plan(
        mode=Mode.EVAL, expression=parse_expression("sin(x)*exp(-x**2)/(1+x**2)"), points=[parse_point("1")]
    )
    buffer = io.StringIO()
    print_report(compare(plan, Options()), Console(file=buffer, width=70, color_system=None))
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    assert "point       x=1" in lines
    assert "autograd    -0.36495675830646185" in lines
    assert "…" not in buffer.getvalue()


def test_ascii_partial_labels() -> None:
    output = render("x*y", "x=1,y=2", mode=Mode.PARTIAL, encoding="ascii")
    assert "d/dx = y" in output
    assert "∂" not in output


def test_rich_markup_in_text_is_printed_literally() -> None:
    from tests.render.documents.test_eval import sample_report

    report = dataclasses.replace(sample_report(), expression="[bold]x[/bold] + [red]y")
    buffer = io.StringIO()
    print_report(report, Console(file=buffer, width=200, color_system=None))
    assert buffer.getvalue().splitlines()[0] == "f(x) = [bold]x[/bold] + [red]y"


def test_symbolic_rows_beside_finite_differences() -> None:
    # The symbolic point's row has no fd or bits: its cells stay blank, the columns stay aligned.
    lines = render("x**2", "a", "1", options=Options(fd=True, bits=True)).splitlines()
    assert lines[3].split() == ["x=a", "a**2", "d/dx", "=", "2*x", "2*a", "—", "—"]
    assert lines[4].split()[:7] == ["x=1", "1.0", "d/dx", "=", "2*x", "2", "2.0"]
    assert lines[4].split()[-1] == "✓"
    assert lines[1].split()[-4:] == ["bits", "symbolic", "bits", "agree"]


def test_symbolic_rows_in_ascii() -> None:
    lines = render("x**2", "a", encoding="ascii").splitlines()
    assert [cell.strip() for cell in lines[3].split("|")] == [
        "x=a",
        "a**2",
        "d/dx = 2*x",
        "2*a",
        "",
        "-",
        "",
        "-",
    ]
