"""The command line as a whole: the version, the help and the list of commands."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import Outcome

Run = Callable[..., Outcome]


def test_version(deriv: Run) -> None:
    outcome = deriv("--version")
    assert outcome.exit_code == 0
    assert outcome.stdout.startswith("deriv 0.1.0 (torch ")
    assert ", sympy " in outcome.stdout


def test_help_lists_commands_and_exit_statuses(deriv: Run) -> None:
    outcome = deriv("--help")
    assert outcome.exit_code == 0
    assert "eval" in outcome.stdout
    assert "partial" in outcome.stdout
    assert "Exit status: 0 success; 1" in " ".join(outcome.stdout.split())


def test_short_help_is_help(deriv: Run) -> None:
    outcome = deriv("eval", "-h")
    assert outcome.exit_code == 0
    assert outcome.stdout.startswith("Usage: deriv eval [OPTIONS]")


def test_no_color_means_no_escape_codes_even_on_a_terminal() -> None:
    from typer.testing import CliRunner

    from derivcli.cli import app

    runner = CliRunner()
    args = ["eval", "relu(x)", "--at", "0"]
    forced = runner.invoke(app, args, env={"FORCE_COLOR": "1", "NO_COLOR": None, "COLUMNS": "200"})
    assert "\x1b[" in forced.stdout
    plain = runner.invoke(app, args, env={"FORCE_COLOR": "1", "NO_COLOR": "1", "COLUMNS": "200"})
    assert "\x1b[" not in plain.stdout
    assert "relu(x)" in plain.stdout
