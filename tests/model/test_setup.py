"""Modes and defaults shared by the command line and the core."""

from __future__ import annotations

import subprocess
import sys

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.setup import DEFAULT_TIMEOUT, MAX_TIMEOUT, Mode, check_timeout


@pytest.mark.parametrize(
    ("seconds", "accepted"), [(10.0, True), (0.001, True), (0.0, False), (-1.0, False), (float("nan"), False)]
)
def test_check_timeout(seconds: float, accepted: bool) -> None:
    if accepted:
        assert check_timeout(seconds) == seconds
    else:
        with pytest.raises(DerivError) as caught:
            check_timeout(seconds)
        assert caught.value.kind is ErrorKind.BAD_OPTION


def test_the_longest_budget_is_a_day() -> None:
    assert check_timeout(MAX_TIMEOUT) == 86_400.0
    with pytest.raises(DerivError) as caught:
        check_timeout(MAX_TIMEOUT + 1)
    assert (
        caught.value.message == "--timeout must be a number of seconds above 0 and at most 86,400, got 86401"
    )


def test_modes_are_the_command_names() -> None:
    assert [mode.value for mode in Mode] == ["eval", "partial", "hessian"]
    assert DEFAULT_TIMEOUT == 10.0


def test_settings_import_only_the_error_family() -> None:
    # The command line imports this module to build --help: it must stay this light.
    probe = (
        "import sys, derivcli.model.setup; print(sorted(m for m in sys.modules if m.startswith('derivcli')))"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert (
        completed.stdout.strip()
        == "['derivcli', 'derivcli.errors', 'derivcli.model', 'derivcli.model.setup']"
    )
