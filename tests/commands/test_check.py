"""deriv check end to end in-process: exit statuses, JSON, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from derivcli.errors import ExitStatus
from tests.conftest import FIXTURES, Outcome

Run = Callable[..., Outcome]
OPS = str(FIXTURES / "lab_ops.py")


def test_failing_check_exits_1_with_the_reason(deriv: Run) -> None:
    outcome = deriv("check", f"{OPS}:SQ", "--against", "x**2", "--at", "x=2")
    assert outcome.exit_code == ExitStatus.DISAGREEMENT
    assert "backward ignores grad_output: with grad_output=3 it returned 4, expected 12" in outcome.stdout
    assert outcome.stdout.rstrip().endswith("3 of 6 checks failed")


def test_passing_check_exits_0_and_json(deriv: Run) -> None:
    outcome = deriv("check", f"{OPS}:GoodSQ", "--against", "x**2", "--json")
    assert outcome.exit_code == ExitStatus.OK
    document = outcome.json()
    assert set(document) == {
        "function",
        "file",
        "against",
        "expression",
        "variables",
        "derivatives",
        "points",
        "checks",
        "passed",
    }
    assert document["passed"] is True
    assert [check["status"] for check in document["checks"]] == ["pass"] * 6
    assert document["derivatives"] == {"x": "2*x"}


def test_user_code_error_is_one_line_and_status_2(deriv: Run) -> None:
    outcome = deriv("check", f"{OPS}:BrokenForward", "--against", "x", "--json")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert "Traceback" not in outcome.stderr
    assert len(outcome.stderr.splitlines()) == 1
    assert json.loads(outcome.stdout)["error"]["kind"] == "user-code"


def test_missing_file(deriv: Run) -> None:
    outcome = deriv("check", "nowhere.py:SQ", "--against", "x")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr == "deriv: error: no such file: 'nowhere.py'\n"


def test_against_is_required_and_needs_a_variable(deriv: Run) -> None:
    assert deriv("check", f"{OPS}:SQ").exit_code == ExitStatus.BAD_INPUT
    outcome = deriv("check", f"{OPS}:SQ", "--against", "2")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert "has no variables" in outcome.stderr


def test_help_says_it_runs_code(deriv: Run) -> None:
    outcome = deriv("check", "--help")
    assert "RUNS CODE" in outcome.stdout


HOSTILE = str(FIXTURES / "hostile_ops.py")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Exits", "deriv: error: Exits.forward called sys.exit(7)"),
        ("Interrupts", "deriv: error: Interrupts.forward raised KeyboardInterrupt"),
        (
            "Dies",
            "deriv: error: the worker process ended (status 5) while running Dies: the user's code ended it",
        ),
        (
            "Loops",
            "deriv: error: the computation ran out of its 1 s time budget while running Loops"
            " (raise the budget with --timeout)",
        ),
        (
            "Crashes",
            "deriv: error: the worker process ended (signal 11 (SIGSEGV)) while running Crashes:"
            " the user's code ended it",
        ),
    ],
)
def test_the_users_code_is_contained(deriv: Run, name: str, message: str) -> None:
    # Each of these used to be reported as a bug in deriv (exit 3), or to run past --timeout.
    outcome = deriv("check", f"{HOSTILE}:{name}", "--against", "x**2", "--at", "x=2", "--timeout", "1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr.splitlines()[0] == message
    assert "Traceback" not in outcome.stderr


def test_a_print_in_the_users_code_goes_to_stderr(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "derivcli", "check", f"{HOSTILE}:Prints", "--against", "x**2", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == ExitStatus.OK
    assert json.loads(run.stdout)["passed"] is True
    assert "chatter from forward" in run.stderr


def test_processes_the_users_code_starts_end_with_it(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "derivcli",
            "check",
            f"{HOSTILE}:Forks",
            "--against",
            "x**2",
            "--timeout",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DERIV_TEST_PIDFILE": str(pidfile)},
    )
    assert run.returncode == ExitStatus.BAD_INPUT
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.05)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_file_whose_import_never_ends_keeps_to_the_budget(deriv: Run) -> None:
    began = time.monotonic()
    target = FIXTURES / "loops_at_import.py"
    outcome = deriv("check", f"{target}:F", "--against", "x**2", "--at", "x=2", "--timeout", "1", "--json")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.json()["error"]["step"] == f"loading {target}:F"
    assert time.monotonic() - began < 6
