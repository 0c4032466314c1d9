"""The parsers' fuzz target runs (a short smoke run; the documented run takes ten minutes)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_a_short_fuzz_run_finds_nothing() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / "parsers.py"), "--max-inputs", "300", "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "findings: 0 distinct" in completed.stdout
    assert "parse_expression: accepted" in completed.stdout
