"""deriv check end to end in-process: exit statuses, JSON, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable

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
