"""deriv batch end to end: stdin and files, output file, exit statuses, summary on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from derivcli.cli import app
from derivcli.errors import ExitStatus
from tests.conftest import Outcome

Run = Callable[..., Outcome]


def run_with_input(*args: str, text: str) -> Outcome:
    result = CliRunner().invoke(app, ["batch", *args], input=text, env={"NO_COLOR": "1"})
    return Outcome(result.exit_code, result.stdout, result.stderr)


def test_stdin_to_stdout_all_ok() -> None:
    outcome = run_with_input(text='{"expr": "x**2", "at": {"x": 3}}\n{"expr": "sin(x)", "at": 0}\n')
    assert outcome.exit_code == ExitStatus.OK
    lines = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert [line["line"] for line in lines] == [1, 2]
    assert lines[1]["points"][0]["derivatives"]["x"]["autograd"] == 1.0
    assert outcome.stderr.startswith("deriv batch: 2 ok, 0 errors, 2 lines in ")


def test_any_error_line_exits_2_and_nothing_is_lost() -> None:
    outcome = run_with_input(text='{"expr": "x", "at": 1}\nnot json\n{"expr": "x", "at": 2}\n')
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    lines = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert [("error" in line) for line in lines] == [False, True, False]
    assert outcome.stderr.startswith("deriv batch: 2 ok, 1 error, 3 lines in ")


def test_file_in_file_out(tmp_path: Path) -> None:
    source = tmp_path / "problems.jsonl"
    source.write_text('{"expr": "x**3", "at": 2, "id": "cube"}\n')
    target = tmp_path / "results.jsonl"
    outcome = run_with_input(str(source), "--output", str(target), text="")
    assert outcome.exit_code == ExitStatus.OK
    assert outcome.stdout == ""
    (result,) = [json.loads(line) for line in target.read_text().splitlines()]
    assert (result["id"], result["points"][0]["derivatives"]["x"]["autograd"]) == ("cube", 12.0)


def test_missing_input_file() -> None:
    outcome = run_with_input("nowhere.jsonl", text="")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr == "deriv: error: cannot read 'nowhere.jsonl': No such file or directory\n"


def test_answers_are_flushed_line_by_line() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "derivcli", "batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write('{"expr": "x**2", "at": 5}\n')
        process.stdin.flush()
        # The first answer arrives while the input is still open.
        first = json.loads(process.stdout.readline())
        assert first["points"][0]["derivatives"]["x"]["autograd"] == 10.0
        process.stdin.close()
        assert process.stdout.read() == ""
        assert process.wait(timeout=60) == 0


def test_several_workers_answer_in_input_order() -> None:
    lines = [json.dumps({"expr": f"x**{power}", "at": 2, "id": power}) for power in range(1, 13)]
    lines.insert(5, "not json")
    outcome = run_with_input("--jobs", "3", text="\n".join(lines) + "\n")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    answers = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert [answer["line"] for answer in answers] == list(range(1, 14))
    assert "error" in answers[5]
    slopes = [
        answer["points"][0]["derivatives"]["x"]["autograd"] for answer in answers if "error" not in answer
    ]
    assert slopes == [power * 2.0 ** (power - 1) for power in range(1, 13)]


def test_jobs_out_of_range_is_refused() -> None:
    outcome = run_with_input("--jobs", "0", text="")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr.strip() == "deriv: error: --jobs must be from 1 to 64, got 0"


def test_an_answer_comes_before_the_next_line_is_written() -> None:
    # A program that writes one problem and waits for its answer must get it: deriv never waits
    # for more input while it owes an answer.
    process = subprocess.Popen(
        [sys.executable, "-m", "derivcli", "batch", "--jobs", "2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    answers = []
    for value in (1, 2, 3):
        process.stdin.write(json.dumps({"expr": "x**2", "at": value}) + "\n")
        process.stdin.flush()
        answers.append(json.loads(process.stdout.readline()))
    process.stdin.close()
    assert process.wait(timeout=60) == ExitStatus.OK
    assert [answer["points"][0]["derivatives"]["x"]["autograd"] for answer in answers] == [2.0, 4.0, 6.0]


def test_a_value_strict_json_cannot_hold_answers_its_line_and_the_batch_goes_on() -> None:
    # An id of 1e400 (read as inf) used to stop the whole batch with exit 3.
    outcome = run_with_input(
        text='{"expr":"x**2","at":{"x":1},"id":1e400}\n'
        '{"expr":"x","at":{"x":1e999}}\n'
        '{"expr":"x","at":1,"id":[2,{"a":-1e999}]}\n'
        '{"expr":"x","at":{"x":1},"id":2}\n'
    )
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    first, second, third, fourth = (
        {key: value for key, value in json.loads(line).items() if key != "versions"}
        for line in outcome.stdout.splitlines()
    )
    assert first == {
        "line": 1,
        "error": {
            "kind": "bad-line",
            "message": '"id" holds a number beyond float64\'s range, which strict JSON cannot hold',
            "column": None,
        },
    }
    assert second["error"] == {
        "kind": "bad-point",
        "message": "the value of x is not a finite number",
        "column": None,
    }
    assert (third["line"], third["error"]) == (3, first["error"])
    assert (fourth["id"], fourth["agree"]) == (2, True)
    assert outcome.stderr.startswith("deriv batch: 1 ok, 3 errors, 4 lines in ")


def test_deeply_nested_values_are_bad_lines_not_bugs() -> None:
    deep = "[" * 500 + "1" + "]" * 500
    outcome = run_with_input(
        text=f'{{"expr":"x","at":{deep}}}\n{{"expr":"x","at":1,"id":{deep}}}\n{{"expr":"x","at":1}}\n'
    )
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    lines = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert [line.get("error", {}).get("kind") for line in lines] == ["bad-line", "bad-line", None]
    assert lines[0]["error"]["message"] == "the line nests arrays and objects 501 deep; the limit is 16"


def test_a_byte_order_mark_at_the_start_is_read_past() -> None:
    result = CliRunner().invoke(app, ["batch"], input=b'\xef\xbb\xbf{"expr": "x**2", "at": 3}\n')
    assert result.exit_code == ExitStatus.OK
    assert json.loads(result.stdout)["points"][0]["derivatives"]["x"]["autograd"] == 6.0


def _deriv_process(
    args: list[str], *, cwd: Path, stdin: object = None, file_size_limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    """deriv in a process of its own, optionally with files capped at ``file_size_limit`` bytes."""
    import resource

    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, resource.RLIM_INFINITY))

    return subprocess.run(
        [sys.executable, "-m", "derivcli", *args],
        cwd=cwd,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=limit,
    )


def test_a_batch_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"expr": "x**2", "at": 1}\n')
    run = _deriv_process(["batch", "in.jsonl", "--output", "./in.jsonl"], cwd=tmp_path)
    assert run.returncode == ExitStatus.BAD_INPUT
    assert run.stderr == (
        "deriv: error: --output './in.jsonl' is the input file 'in.jsonl':"
        " writing it would destroy the input\n"
    )
    with source.open() as redirected:
        run = _deriv_process(["batch", "--output", "in.jsonl"], cwd=tmp_path, stdin=redirected)
    assert run.stderr.startswith("deriv: error: --output 'in.jsonl' is the file standard input reads from")
    assert source.read_text() == '{"expr": "x**2", "at": 1}\n'


def test_a_full_output_keeps_whole_lines_and_says_so(tmp_path: Path) -> None:
    lines = [f'{{"expr": "sin(x)*x**{power}", "at": 1.5, "id": {power}}}' for power in range(1, 101)]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    run = _deriv_process(["batch", "in.jsonl", "--output", "out.jsonl"], cwd=tmp_path, file_size_limit=32_768)
    assert run.returncode == ExitStatus.BAD_INPUT
    written = (tmp_path / "out.jsonl").read_text()
    kept = written.splitlines()
    assert written.endswith("\n")
    assert [json.loads(line)["id"] for line in kept] == list(range(1, len(kept) + 1))
    assert 0 < len(kept) < 100
    assert run.stderr == (
        f"deriv: error: writing 'out.jsonl' failed: File too large; it holds the {len(kept)} whole lines"
        " written before\n"
    )
    assert "Traceback" not in run.stderr


def test_a_closed_or_full_stdout_is_one_line_and_status_2(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text('{"expr": "x", "at": 1}\n')
    with open(os.devnull, "rb") as nothing:
        closed = subprocess.run(
            f"{sys.executable} -m derivcli batch in.jsonl >&-",
            shell=True,
            cwd=tmp_path,
            stdin=nothing,
            capture_output=False,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert (closed.returncode, closed.stderr) == (
        2,
        "deriv: error: writing output failed: standard output is closed\n",
    )
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "derivcli", "eval", "x**2", "--at", "1", "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert (run.returncode, run.stderr) == (
        2,
        "deriv: error: writing output failed: No space left on device\n",
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_answer_is_the_document_deriv_partial_json_prints(deriv: Run, jobs: str) -> None:
    # Polynomials (exact fractions, term-by-term derivatives), functions (values proved by intervals),
    # an expression asked again at a new point (from the worker's caches), two variables, order 2.
    problems = [
        ("3*x**5 + 3*x**3 - 5", ["x=-1.463"], [], "1"),
        ("2*cos(3*x) + x**2", ["x=1.39"], [], "1"),
        ("2*cos(3*x) + x**2", ["x=-0.98"], [], "1"),
        ("4*tanh(3*x) + x**2", ["x=-0.98"], [], "1"),
        ("sinh(x) - x", ["x=1e-100"], [], "1"),
        ("u*v + u**2", ["u=1,v=2"], ["u", "v"], "2"),
        # Shown without trying a rewrite, written without the printer: a divisor, powers of e, halves.
        ("x**3 + atan(3*x)", ["x=0.731"], [], "1"),
        ("5*exp(2*x) + x**4", ["x=-1.2"], [], "1"),
        ("3*sin(2*x)/2 - x**2/4 + 1/(x**2 + 1)", ["x=2.5"], [], "1"),
    ]
    lines = []
    for expression, points, wrt, order in problems:
        at = dict(item.split("=") for item in points[0].split(","))
        lines.append(json.dumps({"expr": expression, "at": at, "wrt": wrt, "order": int(order)}))
    outcome = run_with_input("--jobs", jobs, text="\n".join(lines) + "\n")
    assert outcome.exit_code == ExitStatus.OK
    answers = [json.loads(line) for line in outcome.stdout.splitlines()]
    for answer, (expression, points, wrt, order) in zip(answers, problems, strict=True):
        wrt_options = [option for name in wrt for option in ("--wrt", name)]
        alone = deriv("partial", expression, "--at", *points, *wrt_options, "--order", order, "--json")
        assert alone.exit_code == ExitStatus.OK
        # A batch line adds its number and the versions of deriv, torch and SymPy.
        del answer["line"], answer["versions"]
        assert answer == alone.json()
