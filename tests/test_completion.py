"""Shell completion: the shipped scripts match the app, and completing imports neither torch nor SymPy."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from derivcli.completion import FILES, completion_script
from tests.conftest import ROOT


@pytest.mark.parametrize(("shell", "name"), list(FILES.items()))
def test_shipped_scripts_match_what_the_app_generates(shell: str, name: str) -> None:
    shipped = (ROOT / "completions" / name).read_text(encoding="utf-8")
    assert shipped == completion_script(shell), f"run: python -m derivcli.completion ({name} drifted)"


def complete(words: str, index: int) -> tuple[list[str], list[str]]:
    """Ask deriv for bash completions of ``words`` at word ``index``; also report heavy imports."""
    probe = (
        "import atexit, sys, runpy\n"
        "atexit.register(lambda: sys.__stderr__.write('MODULES ' + ' '.join("
        "m for m in ('torch', 'sympy', 'pydantic') if m in sys.modules) + '\\n'))\n"
        "sys.argv = ['deriv']\n"
        "runpy.run_module('derivcli', run_name='__main__')\n"
    )
    environment = {
        **os.environ,
        "_DERIV_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(index),
    }
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    modules = next(line for line in completed.stderr.splitlines() if line.startswith("MODULES")).split()[1:]
    return completed.stdout.split(), modules


def test_commands_complete() -> None:
    words, modules = complete("deriv gr", 1)
    assert words == ["grid", "graph"]
    assert modules == []


def test_device_and_dtype_values_complete() -> None:
    assert complete("deriv eval x --device ", 4)[0] == ["cpu", "cuda", "mps", "auto"]
    assert complete("deriv eval x --dtype ", 4)[0] == ["float64", "float32"]


def test_options_complete() -> None:
    words, _ = complete("deriv grid x --c", 3)
    assert words == ["--csv", "--chunk-size", "--compile"]


def test_completion_skips_value_conversion() -> None:
    # Converting option values is what would import pydantic (Typer's adapters): about 60 ms a Tab press.
    words, modules = complete("deriv eval x --at 1 --dtype float32 --device ", 8)
    assert words == ["cpu", "cuda", "mps", "auto"]
    assert modules == []


def test_an_argument_already_given_completes_options() -> None:
    words, _ = complete("deriv batch problems.jsonl --", 3)
    assert words == ["--output", "--timeout", "--jobs", "--help"]
