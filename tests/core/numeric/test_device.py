"""Devices: clear errors for unavailable ones, auto's choice, CUDA against the CPU."""

from __future__ import annotations

import math

import pytest
import torch

from derivcli.core.numeric.autograd import autograd_at_points
from derivcli.core.numeric.device import resolve_device
from derivcli.core.numeric.translate import compile_tree
from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.grammar import parse_expression


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_unavailable_is_a_clear_error() -> None:
    with pytest.raises(DerivError) as caught:
        resolve_device("cuda", "float64")
    assert caught.value.kind is ErrorKind.DEVICE_UNAVAILABLE
    assert caught.value.message.startswith("device 'cuda' is not available: torch ")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_mps_unavailable_is_a_clear_error() -> None:
    with pytest.raises(DerivError, match="device 'mps' is not available on this machine"):
        resolve_device("mps", "float32")


def test_auto_picks_cuda_when_there_is_one_else_cpu() -> None:
    device = resolve_device("auto", "float64")
    assert device.type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu() -> None:
    function = compile_tree(parse_expression("sin(x)*exp(-x**2/10) + x**3/100"))
    points = [{"x": value / 7} for value in range(-20, 21)]
    common = {"variables": ["x"], "wrt": ["x"], "points": points, "dtype": "float64"}
    cpu = autograd_at_points(function, device="cpu", **common)  # type: ignore[arg-type]
    cuda = autograd_at_points(function, device="cuda", **common)  # type: ignore[arg-type]
    assert cuda.device.startswith("cuda")
    for a, b in zip(cpu.gradients["x"], cuda.gradients["x"], strict=True):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
