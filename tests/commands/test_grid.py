"""deriv grid end to end in-process: JSON parsed and asserted, streamed files, errors, exit codes."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from derivcli.errors import ExitStatus
from tests.conftest import Outcome

Run = Callable[..., Outcome]

GRID_KEYS = {
    "input",
    "expression",
    "variables",
    "wrt",
    "ranges",
    "points",
    "shape",
    "device",
    "dtype",
    "rtol",
    "atol",
    "symbolic",
    "max_abs_error",
    "max_abs_error_at",
    "max_abs_error_wrt",
    "max_rel_error",
    "max_rel_error_at",
    "max_rel_error_wrt",
    "disagree",
    "agree",
    "non_finite",
    "derivatives",
    "kinks",
    "kink_hits",
    "tangents",
    "elapsed_s",
    "points_per_s",
    "chunk_size",
    "threads",
    "notes",
}


def test_json_summary_of_the_relu_tutorial(deriv: Run) -> None:
    outcome = deriv("grid", "relu(x)", "--range", "x=-10:10", "--num", "1000", "--json")
    assert outcome.exit_code == ExitStatus.OK
    assert outcome.stderr == ""
    document = outcome.json()
    assert set(document) == GRID_KEYS
    assert (document["points"], document["shape"], document["disagree"], document["agree"]) == (
        1000,
        [1000],
        0,
        True,
    )
    assert document["ranges"]["x"]["num"] == 1000
    assert document["symbolic"] == {"x": "Heaviside(x)"}
    assert set(document["derivatives"]["x"]) == {
        "symbolic",
        "max_abs_error",
        "max_abs_error_at",
        "max_rel_error",
        "max_rel_error_at",
        "disagree",
        "both_nan",
        "non_finite",
        "one_side_finite",
        "one_side_finite_at",
        "bits",
    }
    (kink,) = document["kinks"]
    assert set(kink) == {
        "kind",
        "function",
        "label",
        "on_grid",
        "between_points",
        "on_grid_examples",
        "between_examples",
    }
    assert (kink["label"], kink["on_grid"], kink["between_points"]) == ("relu(x)", 0, 1)
    left, right = kink["between_examples"][0]
    assert (left["autograd"], right["autograd"]) == ({"x": 0.0}, {"x": 1.0})
    assert document["elapsed_s"] > 0
    assert document["points_per_s"] > 0


def test_json_reports_the_worst_point(deriv: Run) -> None:
    document = deriv("grid", "relu(x)", "--range", "x=-10:10", "--num", "1001", "--json").json()
    assert (document["max_abs_error"], document["max_abs_error_at"], document["max_abs_error_wrt"]) == (
        0.5,
        {"x": 0.0},
        "x",
    )
    assert document["derivatives"]["x"]["max_abs_error_at"] == {
        "at": {"x": 0.0},
        "autograd": {"x": 0.0},
        "symbolic": {"x": 0.5},
    }
    assert (document["disagree"], document["agree"]) == (1, False)


def test_strict_exits_1_on_a_disagreement(deriv: Run) -> None:
    outcome = deriv("grid", "relu(x)", "--range", "x=-1:1", "--num", "3", "--strict")
    assert outcome.exit_code == ExitStatus.DISAGREEMENT
    assert "relu(x) has a kink on 1 grid point, e.g. at x=0: autograd 0, symbolic 0.5" in outcome.stdout


def test_strict_exits_0_when_everything_agrees(deriv: Run) -> None:
    assert deriv("grid", "x**2", "--range", "x=-10:10", "--num", "10", "--strict").exit_code == 0


def test_table_summary(deriv: Run) -> None:
    outcome = deriv("grid", "10*x**3", "--range", "x=-10:10", "--num", "100")
    lines = outcome.stdout.splitlines()
    assert lines[0] == "f(x) = 10*x**3"
    assert lines[1] == "grid: x from -10 to 10 (100 points)"
    assert lines[2].startswith("ran on cpu, float64, in ")
    row = next(line for line in lines if line.startswith("d/dx = 30*x**2"))
    assert row.split()[-2:] == ["0", "0"]


def test_nan_on_both_sides_is_counted_apart(deriv: Run) -> None:
    document = deriv("grid", "sqrt(x)", "--range", "x=-1:1", "--num", "5", "--json").json()
    entry = document["derivatives"]["x"]
    assert (entry["both_nan"], entry["disagree"], entry["non_finite"]) == (
        2,
        0,
        {"autograd": 3, "symbolic": 3},
    )
    assert document["non_finite"] == {"value": 2}


def test_csv_file_streams_every_point(deriv: Run, tmp_path: Path) -> None:
    target = tmp_path / "cube.csv"
    outcome = deriv(
        "grid", "10*x**3", "--range", "x=-10:10", "--num", "100", "--csv", str(target), "--chunk-size", "7"
    )
    assert outcome.exit_code == 0
    rows = list(csv.DictReader(target.open()))
    assert len(rows) == 100
    assert [float(rows[0][key]) for key in ("x", "f", "autograd", "symbolic", "abs_error")] == [
        -10.0,
        -10000.0,
        3000.0,
        3000.0,
        0.0,
    ]
    for row in rows:
        x = float(row["x"])
        assert float(row["autograd"]) == pytest.approx(30 * x**2, rel=1e-15)
        assert float(row["abs_error"]) == abs(float(row["autograd"]) - float(row["symbolic"]))
    assert outcome.stdout.startswith("f(x) = 10*x**3")


def test_csv_to_stdout_moves_the_summary_to_stderr(deriv: Run) -> None:
    outcome = deriv("grid", "x**2", "--range", "x=0:1", "--num", "3", "--csv", "-")
    assert outcome.stdout.splitlines() == [
        "x,f,autograd,symbolic,abs_error",
        "0.0,0.0,0.0,0.0,0.0",
        "0.5,0.25,1.0,1.0,0.0",
        "1.0,1.0,2.0,2.0,0.0",
    ]
    assert outcome.stderr.startswith("f(x) = x**2")


def test_jsonl_file_and_json_summary_together(deriv: Run, tmp_path: Path) -> None:
    target = tmp_path / "field.jsonl"
    outcome = deriv(
        "grid",
        "u*v + u**2",
        "--range",
        "u=-1:1",
        "--range",
        "v=-1:1",
        "--num",
        "3",
        "--jsonl",
        str(target),
        "--json",
    )
    assert outcome.json()["points"] == 9
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(lines) == 9
    assert lines[5] == {
        "at": {"u": 0.0, "v": 1.0},
        "f": 0.0,
        "derivatives": {
            "u": {"autograd": 1.0, "symbolic": 1.0, "abs_error": 0.0},
            "v": {"autograd": 0.0, "symbolic": 0.0, "abs_error": 0.0},
        },
    }


@pytest.mark.parametrize(
    ("args", "kind", "message"),
    [
        (("x*y", "--range", "x=0:1"), "missing-value", "no range for variable y: add --range y=-1:1"),
        (("x",), "missing-value", "no range for variable x: add --range x=-1:1"),
        (("x", "--range", "x=0"), "bad-range", "expected x=start:stop or x=start:stop:num in --range 'x=0'"),
        (
            ("x", "--range", "x=0:1", "--num", "0"),
            "bad-option",
            "the number of points for --num must be from 1",
        ),
        (
            ("x", "--range", "x=0:1", "--num", "ten"),
            "bad-option",
            "expected a whole number of points for --num",
        ),
        (
            ("x", "--range", "x=0:1", "--csv", "-", "--json"),
            "bad-option",
            "--csv - and --json both write to stdout: send all but one to a file",
        ),
        (
            ("x", "--range", "x=0:1", "--csv", "-", "--jsonl", "-"),
            "bad-option",
            "--csv -, --jsonl - and --json all write to stdout",
        ),
        (
            ("x", "--range", "x=0:1", "--plot", "out.pdf"),
            "bad-option",
            "--plot 'out.pdf': cannot tell the format",
        ),
        (
            ("a*b*c", "--range", "a=0:1", "--range", "b=0:1", "--range", "c=0:1", "--plot", "p.png"),
            "bad-option",
            "--plot shows one or two variables; this grid has 3",
        ),
        (("x", "--range", "x=0:1", "--device", "tpu"), "bad-option", "unknown device 'tpu'"),
        (("x", "--range", "x=0:1", "--rtol", "-1"), "bad-option", "--rtol must be a finite number >= 0"),
        (("__import__('os')", "--range", "x=0:1"), "not-allowed", "names starting with '__' are not allowed"),
    ],
)
def test_refusals_are_one_line_and_json(deriv: Run, args: tuple[str, ...], kind: str, message: str) -> None:
    outcome = deriv("grid", *args, "--json") if "--json" not in args else deriv("grid", *args)
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr.startswith("deriv: error: ")
    assert "Traceback" not in outcome.stderr
    error = json.loads(outcome.stdout)["error"]
    assert error["kind"] == kind
    assert message in error["message"]


def test_unwritable_output_file(deriv: Run, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.csv"
    outcome = deriv("grid", "x", "--range", "x=0:1", "--csv", str(target))
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr == f"deriv: error: --csv: cannot write {str(target)!r}: No such file or directory\n"


def test_leading_minus_expression(deriv: Run) -> None:
    document = deriv("grid", "-x**2", "--range", "x=-1:1", "--num", "3", "--json").json()
    assert document["expression"] == "-x**2"
    assert document["agree"] is True


def test_grid_help_lists_its_options(deriv: Run) -> None:
    outcome = deriv("grid", "--help")
    assert outcome.exit_code == 0
    for option in ("--range", "--num", "--csv", "--jsonl", "--plot", "--chunk-size", "--json", "--strict"):
        assert option in outcome.stdout


def test_progress_bar_appears_only_after_its_delay(capsys: pytest.CaptureFixture[str]) -> None:
    from derivcli.render.progress import ProgressBar

    with ProgressBar(total=10, delay=3600) as waiting:
        waiting(5, 10)
        assert waiting.bar is None
    with ProgressBar(total=10, delay=0) as showing:
        showing(5, 10)
        assert showing.bar is not None
        assert showing.bar.tasks[0].completed == 5
        showing(10, 10)
        assert showing.bar.tasks[0].completed == 10
    assert capsys.readouterr().out == ""


def test_a_whole_process_flushes_every_output_before_its_fast_exit(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "relu.csv"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "derivcli",
            "grid",
            "relu(x)",
            "--range",
            "x=-1:1",
            "--num",
            "20001",
            "--csv",
            str(target),
            "--json",
            "--strict",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == ExitStatus.DISAGREEMENT
    assert json.loads(completed.stdout)["points"] == 20001
    lines = target.read_text().splitlines()
    assert len(lines) == 20002
    assert lines[-1] == "1.0,1.0,1.0,1.0,0.0"


def test_a_point_where_only_one_side_is_a_number_is_shown(deriv: Run) -> None:
    document = deriv("grid", "x/x", "--range", "x=-1:1", "--num", "3", "--json").json()
    entry = document["derivatives"]["x"]
    assert (entry["disagree"], entry["one_side_finite"]) == (1, 1)
    assert entry["one_side_finite_at"] == {"at": {"x": 0.0}, "autograd": {"x": "nan"}, "symbolic": {"x": 0.0}}
    assert document["notes"] == [
        "d/dx: one side is inf or nan where the other is a number at 1 point,"
        " e.g. at x=0: autograd nan, symbolic 0"
    ]


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("10*x**3", "--range", "x=-10:10", "--num", "100"), "cube.png"),
        (("x**2", "--range", "x=-10:10", "--num", "10"), "square.png"),
        (("relu(x)", "--range", "x=-10:10", "--num", "1000"), "relu.svg"),
        (("u*v + u**2", "--range", "u=-1:1", "--range", "v=-1:1", "--num", "201"), "field.png"),
    ],
)
def test_the_tutorial_plots_are_written(deriv: Run, tmp_path: Path, args: tuple[str, ...], name: str) -> None:
    target = tmp_path / name
    outcome = deriv("grid", *args, "--plot", str(target))
    assert outcome.exit_code == 0, outcome.stderr
    data = target.read_bytes()
    if name.endswith(".png"):
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        assert b"<svg" in data[:1000]
    assert len(data) > 20_000


@pytest.mark.parametrize(
    ("option", "name", "limit"), [("--csv", "out.csv", 65_536), ("--plot", "out.png", 4_096)]
)
def test_a_file_that_cannot_be_finished_is_removed_and_named(
    tmp_path: Path, option: str, name: str, limit: int
) -> None:
    import resource
    import subprocess
    import sys

    if option == "--plot":
        pytest.importorskip("matplotlib")

    def cap_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    args = ["grid", "sin(x)", "--range", "x=0:1", "--num", "1e5", option, name]
    run = subprocess.run(
        [sys.executable, "-m", "derivcli", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=cap_files,
    )
    assert run.returncode == ExitStatus.BAD_INPUT
    # deriv removes a partial CSV; matplotlib leaves no partial image to remove.
    assert run.stderr.startswith(f"deriv: error: writing {name!r} failed: File too large")
    assert run.stderr.count("\n") == 1
    assert not (tmp_path / name).exists()


def test_a_plot_into_a_missing_folder_is_refused_before_the_grid_runs(deriv: Run, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "plot.png"
    outcome = deriv("grid", "x", "--range", "x=0:1", "--num", "1e6", "--plot", str(target), "--json")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert (
        outcome.json()["error"]["message"]
        == f"--plot: cannot write {str(target)!r}: No such file or directory"
    )


def test_an_allocation_torch_cannot_make_is_out_of_memory(deriv: Run) -> None:
    # torch reports a failed allocation as a RuntimeError, not MemoryError: it used to read as a bug.
    outcome = deriv("grid", "x", "--range", "x=0:1", "--num", "1e9", "--chunk-size", "1e9", "--json")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    error = outcome.json()["error"]
    assert (error["kind"], error["step"]) == ("out-of-memory", "evaluating the grid")
    assert (
        error["message"]
        == "the worker process ran out of its memory budget of 8 GiB while evaluating the grid"
    )


def test_a_plot_says_where_it_went_and_breaks_f_at_a_jump(deriv: Run, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "step.svg"
    outcome = deriv("grid", "heaviside(x)+x", "--range", "x=-1:1", "--num", "100", "--plot", str(target))
    assert outcome.exit_code == ExitStatus.OK
    assert outcome.stderr == f"wrote {target}\n"
    text = target.read_text()
    # A jump is called a jump, and drawn as one; no kink is.
    assert (text.count("<!-- jump -->"), text.count("<!-- kink -->")) == (1, 0)


def test_tangent_lines_at_the_at_points(deriv: Run, tmp_path: Path) -> None:
    document = deriv(
        "grid", "x**2", "--range", "x=-4:4", "--num", "9", "--at", "3", "--at", "x=-1", "--json"
    ).json()
    assert document["tangents"] == [
        {"at": 3.0, "exact": "6*x - 9", "slope": 6.0, "intercept": -9.0},
        {"at": -1.0, "exact": "-2*x - 1", "slope": -2.0, "intercept": -1.0},
    ]
    assert deriv("grid", "x**2", "--range", "x=-4:4", "--num", "9", "--json").json()["tangents"] == []
    summary = deriv("grid", "x**2", "--range", "x=-4:4", "--num", "9", "--at", "3").stdout
    assert "tangent at x=3: y = 6*x - 9" in summary.splitlines()
    pytest.importorskip("matplotlib")
    target = tmp_path / "tangent.svg"
    deriv("grid", "x**2", "--range", "x=-4:4", "--num", "9", "--at", "3", "--plot", str(target))
    assert "tangent: y = 6*x - 9" in target.read_text()


def test_tangent_lines_need_one_variable(deriv: Run) -> None:
    outcome = deriv("grid", "x*y", "--range", "x=0:1", "--range", "y=0:1", "--at", "x=1,y=1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert "--at draws tangent lines on a grid of one variable" in outcome.stderr


def test_a_plot_in_the_terminal(deriv: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = deriv("grid", "relu(x)", "--range", "x=-2:2", "--plot", "-")
    assert outcome.exit_code == ExitStatus.OK
    lines = outcome.stdout.splitlines()
    assert len(lines) >= 10
    assert "relu(x) on [-2, 2]" in lines[0]
    assert any("f = relu(x)" in line for line in lines)
    # autograd's 0 at the kink differs from SymPy's 1/2: marked on the plot.
    assert any("d/dx: autograd, where it differs" in line for line in lines)
    # The summary is a message here: stdout carries the plot.
    assert outcome.stderr.splitlines()[0] == "f(x) = relu(x)"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("x*y", "--range", "x=0:1", "--range", "y=0:1", "--plot", "-"),
            "--plot - draws one variable in the terminal; this grid has 2: write a .png",
        ),
        (
            ("x", "--range", "x=0:1", "--plot", "-", "--csv", "-"),
            "--csv - and --plot - both write to stdout: send all but one to a file",
        ),
    ],
)
def test_a_terminal_plot_is_refused_where_it_cannot_be_drawn(
    deriv: Run, args: tuple[str, ...], message: str
) -> None:
    outcome = deriv("grid", *args)
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr.splitlines()[0] == f"deriv: error: {message}"
