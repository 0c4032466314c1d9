"""Start-up stays light: help, version and refusals import neither torch nor sympy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import atexit, json, runpy, sys
def report():
    sys.__stderr__.write("MODULES " + json.dumps([m for m in ("torch", "sympy") if m in sys.modules]) + "\\n")
atexit.register(report)
sys.argv = ["deriv", *json.loads(sys.argv[1])]
runpy.run_module("derivcli", run_name="__main__")
"""


def heavy_modules_after(*args: str) -> tuple[list[str], int]:
    """Run deriv in a fresh interpreter; return which heavy modules it imported, and its status."""
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next(line for line in completed.stderr.splitlines() if line.startswith("MODULES "))
    return json.loads(line.removeprefix("MODULES ")), completed.returncode


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("eval", "--help"),
        ("partial", "--help"),
        ("--version",),
        ("eval", "__import__('os').getcwd()", "--at", "x=1"),
        ("eval", "x*y", "--at", "x=1"),
        ("eval", "sin(x)", "--at", "x=1", "--device", "tpu"),
        ("eval", "x", "--at", "x=inf"),
        ("eval", "x + 9**9**9", "--at", "1"),
        ("eval", "x", "--at", "x=1,x=2"),
        ("eval", "x", "--wrt", "sin", "--at", "1"),
        ("grid", "--help"),
        ("graph", "--help"),
        ("check", "--help"),
        ("batch", "--help"),
        ("check", "ops.py:SQ", "--against", "__import__('os')"),
        ("graph", "x", "--at", "1", "--at", "2"),
        ("grid", "x*y", "--range", "x=0:1"),
        ("grid", "x", "--range", "x=0:1:0"),
        ("grid", "x", "--range", "x=0:1", "--plot", "a.pdf"),
        ("grid", "x", "--range", "x=0:1", "--csv", "-", "--json"),
    ],
)
def test_no_heavy_imports(args: tuple[str, ...]) -> None:
    modules, status = heavy_modules_after(*args)
    assert modules == []
    assert status in (0, 2)


def test_a_real_evaluation_imports_both_in_the_worker_only() -> None:
    # The worker process computes; the command's own process only renders the report.
    modules, status = heavy_modules_after("eval", "x**2", "--at", "1")
    assert (modules, status) == ([], 0)


def test_a_grid_imports_both_in_the_worker_only() -> None:
    modules, status = heavy_modules_after("grid", "x**2", "--range", "x=0:1", "--num", "3")
    assert (modules, status) == ([], 0)


def test_graph_imports_both_to_render() -> None:
    # The probe does see heavy imports: deriv graph's renderer needs torch's types in the command's process.
    modules, status = heavy_modules_after("graph", "x**2", "--at", "1")
    assert (sorted(modules), status) == (["sympy", "torch"], 0)


@pytest.mark.parametrize("args", [("--help",), ("eval", "__import__('os')", "--at", "1")])
def test_console_script_imports_neither(args: tuple[str, ...]) -> None:
    script = shutil.which("deriv", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the deriv console script is not installed next to this interpreter")
    completed = subprocess.run(
        [script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in completed.stderr.splitlines() if "|" in line}
    assert "typer" in imported  # the import log was captured
    assert not {"torch", "sympy"} & imported
