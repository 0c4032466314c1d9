"""The README stays true: its test command is CI's, and it documents every error kind."""

from __future__ import annotations

from derivcli.errors import ErrorKind, ExitStatus
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("###", 1)[0]
    commands = [line for line in quickstart.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 2
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci_script.splitlines()
    assert 'deriv eval "6*x**2+2*x+4" --at x=3' in commands[0]


def test_every_error_kind_is_documented() -> None:
    for kind in ErrorKind:
        assert f"`{kind.value}`" in README


def test_every_exit_status_is_documented() -> None:
    table = README.split("## Exit status", 1)[1].split("##", 1)[0]
    for status in ExitStatus:
        assert f"| {status.value} |" in table
