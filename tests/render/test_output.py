"""Where output goes: its width, and files that are never left half-written."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.render.output import FILE_COLUMNS, Output, OutputFile, output_width
from tests.conftest import Outcome


@pytest.mark.parametrize(
    ("columns", "width"),
    [
        ("100", 100),
        ("24", 24),
        ("23", FILE_COLUMNS),
        ("0", FILE_COLUMNS),
        ("5", FILE_COLUMNS),
        ("wide", FILE_COLUMNS),
    ],
)
def test_columns_too_narrow_for_any_layout_are_ignored(
    monkeypatch: pytest.MonkeyPatch, columns: str, width: int
) -> None:
    # COLUMNS=0 used to print nothing at all, COLUMNS=5 a table with no values.
    monkeypatch.setenv("COLUMNS", columns)
    assert output_width(io.StringIO()) == width


def test_a_narrow_but_usable_width_gets_records() -> None:
    from typer.testing import CliRunner

    from derivcli.cli import app

    result = CliRunner().invoke(
        app, ["eval", "6*x**2+2*x+4", "--at", "x=3"], env={"COLUMNS": "30", "NO_COLOR": "1"}
    )
    assert result.stdout.splitlines()[1].split() == ["point", "x=3"]
    result = CliRunner().invoke(
        app, ["eval", "6*x**2+2*x+4", "--at", "x=3"], env={"COLUMNS": "0", "NO_COLOR": "1"}
    )
    assert result.stdout.splitlines()[3].split()[:2] == ["x=3", "64.0"]


def test_a_file_whose_work_failed_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "points.csv"

    def half_a_grid() -> None:
        with Output(json_output=False) as out:
            out.open(str(target), option="--csv").write("x,f\n0,0\n")
            raise RuntimeError("the grid failed")

    with pytest.raises(RuntimeError):
        half_a_grid()
    assert not target.exists()


def test_a_whole_line_file_is_cut_back_to_its_last_whole_line(tmp_path: Path) -> None:
    target = tmp_path / "answers.jsonl"
    sink = OutputFile(str(target), "--output", keep_whole=True)
    sink.write('{"line": 1}\n')
    sink.mark_whole()
    sink.write('{"line": 2, "half')
    sink.flush()
    assert sink.abandon() == "; it holds the 1 whole line written before"
    assert target.read_text() == '{"line": 1}\n'


def test_an_unwritable_path_names_the_option() -> None:
    with pytest.raises(DerivError) as caught:
        OutputFile("/nonexistent-folder/a.csv", "--csv")
    assert (caught.value.kind, caught.value.message) == (
        ErrorKind.BAD_OPTION,
        "--csv: cannot write '/nonexistent-folder/a.csv': No such file or directory",
    )


def test_tables_end_their_lines_without_spaces(deriv: Callable[..., Outcome]) -> None:
    outcome = deriv("eval", "x**2", "--at", "3", "--at", "1")
    lines = outcome.stdout.splitlines()
    assert lines[3].endswith("✓")
    assert all(line == line.rstrip() for line in lines)


def test_trimmed_lines_keep_a_partial_line_until_it_ends() -> None:
    from derivcli.render.output import _TrimmedLines

    stream = io.StringIO()
    trimmed = _TrimmedLines(stream)
    trimmed.write("a   \nb  ")
    assert stream.getvalue() == "a\n"
    trimmed.write("  c \x1b[0m\n")
    assert stream.getvalue() == "a\nb    c\x1b[0m\n"
    trimmed.write("tail")
    trimmed.flush()
    assert stream.getvalue().endswith("tail")
