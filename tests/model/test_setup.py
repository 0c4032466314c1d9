"""The setup of a computation (device, dtype, tolerances, time budget), checked in one place."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.setup import DEFAULT_TIMEOUT, MAX_TIMEOUT, DType, Mode, Setup, Tolerance, check_timeout


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


def test_a_checked_setup_keeps_what_was_given() -> None:
    setup = Setup.checked(device="cuda:1", dtype=DType.float32, rtol=1e-3, atol=None, timeout=2.5)
    assert setup == Setup(device="cuda:1", dtype=DType.float32, rtol=1e-3, atol=None, timeout=2.5)
    assert setup.tolerance == Tolerance(rtol=1e-3, atol=1e-6)
    assert Setup().tolerance == Tolerance(rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rtol": -1.0}, "--rtol must be a finite number >= 0, got -1.0"),
        ({"atol": float("inf")}, "--atol must be a finite number >= 0, got inf"),
        ({"timeout": 0.0}, "--timeout must be a number of seconds above 0 and at most 86,400, got 0"),
        ({"device": "tpu"}, "unknown device 'tpu': use cpu, cuda, cuda:N, mps or auto"),
        # Several bad options: the tolerances are named first, then the budget, then the device.
        ({"device": "tpu", "timeout": -1.0, "rtol": -1.0}, "--rtol must be a finite number >= 0, got -1.0"),
    ],
)
def test_a_setup_refuses_each_bad_option(options: dict[str, Any], message: str) -> None:
    with pytest.raises(DerivError) as caught:
        Setup.checked(**options)
    assert (caught.value.kind, caught.value.message) == (ErrorKind.BAD_OPTION, message)


def test_dtype_is_one_vocabulary() -> None:
    assert [dtype.value for dtype in DType] == ["float64", "float32"]
    assert DType.named("float32", option="--dtype") is DType.float32
    assert (DType.float64.significand_bits, DType.float32.significand_bits) == (53, 24)
    assert DType.float64.largest == sys.float_info.max
    assert DType.float32.largest == 3.4028234663852886e38
    with pytest.raises(DerivError) as caught:
        DType.named("float16", option='"dtype"')
    assert caught.value.message == "\"dtype\" must be one of float64, float32, got 'float16'"
    with pytest.raises(DerivError):
        DType.named(64, option='"dtype"')
