"""The limits a worker runs under: the time budget of its symbolic steps, and its address space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.setup import DEFAULT_TIMEOUT

#: Default cap on the worker's address space, in bytes (torch and SymPy loaded take about 0.8 GiB).
DEFAULT_MEMORY: Final = 8 * 2**30
#: CPU seconds granted beyond the wall-clock budget before the kernel stops a budgeted step itself.
CPU_GRACE_SECONDS: Final = 2


@dataclass(frozen=True, slots=True)
class Limits:
    """How long the budgeted (symbolic) steps may take, and how much address space the worker may map."""

    seconds: float = DEFAULT_TIMEOUT
    memory_bytes: int | None = DEFAULT_MEMORY

    @classmethod
    def for_device(cls, seconds: float, device: object) -> Limits:
        """The limits of work on ``device``: no address-space cap off the CPU.

        GPU drivers reserve address space far beyond what they use.
        """
        return cls(seconds=seconds, memory_bytes=DEFAULT_MEMORY if device == "cpu" else None)


def out_of_time(limits: Limits, step_name: str) -> DerivError:
    return DerivError(
        ErrorKind.TIMEOUT,
        f"the computation ran out of its {limits.seconds:g} s time budget while {step_name}"
        " (raise the budget with --timeout)",
        step=step_name,
    )


def out_of_memory(limits: Limits, step_name: str) -> DerivError:
    size = "" if limits.memory_bytes is None else f" of {limits.memory_bytes / 2**30:g} GiB"
    return DerivError(
        ErrorKind.OUT_OF_MEMORY,
        f"the worker process ran out of its memory budget{size} while {step_name}",
        step=step_name,
    )
