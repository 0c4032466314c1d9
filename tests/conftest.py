"""Shared helpers: run the CLI in-process and parse its JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from derivcli.cli import app
from derivcli.model.versions import versions

# pytester runs the test helpers' example suites (tests/test_testing.py, tests/test_pytest_plugin.py).
pytest_plugins = ["pytester"]

#: The repository's root folder.
ROOT = Path(__file__).resolve().parent.parent
#: Python files written for the tests (custom autograd Functions for deriv check).
FIXTURES = ROOT / "tests" / "fixtures"


class Outcome:
    """What one CLI run produced."""

    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    def document(self) -> Any:
        """The single JSON document on stdout, whole (strict: NaN literals are refused)."""

        def refuse(constant: str) -> Any:
            raise ValueError(f"non-strict JSON constant {constant}")

        return json.loads(self.stdout, parse_constant=refuse)

    def json(self) -> Any:
        """The document without ``versions``, which every document must carry (checked here, once)."""
        document = self.document()
        assert document.pop("versions") == versions()
        return document


@pytest.fixture
def deriv() -> Callable[..., Outcome]:
    """Run ``deriv ARGS...`` in-process, stdout and stderr kept apart."""
    runner = CliRunner()

    def run(*args: str) -> Outcome:
        result = runner.invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "200"})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return run
