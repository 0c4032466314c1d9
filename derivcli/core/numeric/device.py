"""Where and in which precision torch computes: dtypes by name, and the device a spec names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import torch

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.setup import DType, check_device

Tensor = torch.Tensor

DTYPES: Final[Mapping[str, torch.dtype]] = {DType.float64: torch.float64, DType.float32: torch.float32}


_CPU: Final = torch.device("cpu")


def resolve_device(spec: str, dtype: str) -> torch.device:
    """Turn ``cpu``/``cuda``/``cuda:N``/``mps``/``auto`` into an available torch device."""
    check_device(spec)
    if spec == "cpu":
        return _CPU  # asked for on every line of a batch: no other device to look for
    mps_available = bool(torch.backends.mps.is_available())
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_available and dtype != DType.float64:
            return torch.device("mps")
        return torch.device("cpu")
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            built = "built without CUDA" if torch.version.cuda is None else "unable to find a CUDA device"
            raise DerivError(
                ErrorKind.DEVICE_UNAVAILABLE,
                f"device {spec!r} is not available: torch {torch.__version__} is {built}",
            )
        index = int(spec.partition(":")[2] or 0)
        count = torch.cuda.device_count()
        if index >= count:
            raise DerivError(
                ErrorKind.DEVICE_UNAVAILABLE,
                f"device {spec!r} is not available: this machine has {count} CUDA device(s)",
            )
        return torch.device(spec)
    if spec == "mps":
        if not mps_available:
            raise DerivError(ErrorKind.DEVICE_UNAVAILABLE, "device 'mps' is not available on this machine")
        if dtype == DType.float64:
            raise DerivError(
                ErrorKind.DEVICE_UNAVAILABLE, "device 'mps' does not support float64: use --dtype float32"
            )
        return torch.device("mps")
    return torch.device("cpu")
