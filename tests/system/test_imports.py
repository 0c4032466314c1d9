"""Start-up stays light: help, version and refusals import neither torch nor sympy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

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
        ("hessian", "--help"),
        ("jacobian", "--help"),
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


@pytest.mark.parametrize(
    "args",
    [
        ("eval", "x**2", "--at", "1"),
        ("partial", "x*y", "--at", "x=1,y=2", "--json"),
        ("hessian", "x**2*y", "--at", "x=1,y=2"),
        ("jacobian", "x*y, x+y", "--at", "x=1,y=2"),
        ("grid", "x**2", "--range", "x=0:1", "--num", "3"),
        ("graph", "x**2", "--at", "1"),
        ("check", "tests/fixtures/lab_ops.py:GoodSQ", "--against", "x**2", "--at", "x=2"),
    ],
)
def test_every_command_computes_in_the_worker_only(args: tuple[str, ...]) -> None:
    # The worker process computes; the command's own process only checks the request and renders the report.
    modules, status = heavy_modules_after(*args)
    assert (modules, status) == ([], 0)


def test_batch_imports_neither_with_one_worker() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(["batch", "--jobs", "1"])],
        input='{"expr": "x**2", "at": {"x": 3}}\n',
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next(line for line in completed.stderr.splitlines() if line.startswith("MODULES "))
    assert (json.loads(line.removeprefix("MODULES ")), completed.returncode) == ([], 0)


def _light_modules() -> list[str]:
    """Every module of the layers that must stay light: commands, models, renderers, the pipeline."""
    root = ROOT / "derivcli"
    names = ["derivcli.cli", "derivcli.pipeline", "derivcli.completion"]
    for layer in ("commands", "model", "render", "parsing", "worker"):
        folder = root / layer
        if folder.is_dir():
            names += sorted(
                ".".join(("derivcli", layer, *path.relative_to(folder).with_suffix("").parts))
                for path in folder.rglob("*.py")
                if path.stem != "__init__"
            )
        else:
            names.append(f"derivcli.{layer}")
    return names


@pytest.mark.parametrize("module", _light_modules())
def test_light_module_imports_neither(module: str) -> None:
    probe = f"import sys, {module}; print([m for m in ('torch', 'sympy', 'mpmath') if m in sys.modules])"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"


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
