"""What the work tells the command while it runs: the step it is in (on shared memory) and events.

Core modules call :func:`step` and :func:`emit`; outside a worker both do
nothing (or hand events straight to the caller), so the core runs the same
in tests. This module imports neither SymPy nor torch.
"""

from __future__ import annotations

import mmap
import struct
import time
from collections.abc import Callable
from typing import Any, Final


class StepBoard:
    """Shared memory where the worker posts its current step and the parent reads the time it spent.

    Writing a step is a few stores into memory, not a message: ``deriv batch``
    posts a dozen steps per line. Layout: the seconds spent in budgeted steps
    already finished, the monotonic time the current budgeted step began (0
    when the current step is not budgeted), whether the step runs the user's
    code (``deriv check``), the step name's length; then how many calls the
    worker has started, and the step's name.
    """

    _HEADER: Final = struct.Struct("=dd?I")
    _CALLS: Final = struct.Struct("=Q")
    _NAME_AT: Final = _HEADER.size + _CALLS.size
    _SIZE: Final = 4096

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, self._SIZE)

    def reset(self) -> None:
        """Start afresh (a new worker): nothing spent, no budgeted step running, no call started."""
        self.post("starting", budgeted=False, spent=0.0)
        self._CALLS.pack_into(self._memory, self._HEADER.size, 0)

    def start_call(self) -> None:
        """A new call starts (in the worker): nothing spent yet, and one call more started."""
        self.post("starting", budgeted=False, spent=0.0)
        self._CALLS.pack_into(self._memory, self._HEADER.size, self.calls_started() + 1)

    def calls_started(self) -> int:
        """How many calls the worker has started since the last :meth:`reset`."""
        return int(self._CALLS.unpack_from(self._memory, self._HEADER.size)[0])

    def post(self, name: str, *, budgeted: bool, spent: float | None = None, user_code: bool = False) -> None:
        """Record that step ``name`` starts now."""
        now = time.monotonic()
        if spent is None:
            spent = self.spent(now)
        encoded = name.encode("utf-8", "replace")[: self._SIZE - self._NAME_AT]
        self._memory[self._NAME_AT : self._NAME_AT + len(encoded)] = encoded
        self._HEADER.pack_into(self._memory, 0, spent, now if budgeted else 0.0, user_code, len(encoded))

    def spent(self, now: float) -> float:
        """Seconds spent in budgeted steps so far, the running one included."""
        finished, began, _, _ = self._HEADER.unpack_from(self._memory, 0)
        return float(finished + (now - began if began else 0.0))

    def user_code(self) -> bool:
        """True while the step runs the user's code."""
        return bool(self._HEADER.unpack_from(self._memory, 0)[2])

    def budgeted(self) -> bool:
        """True while a budgeted step runs."""
        return bool(self._HEADER.unpack_from(self._memory, 0)[1])

    def name(self) -> str:
        """The current step's name."""
        length = self._HEADER.unpack_from(self._memory, 0)[3]
        return self._memory[self._NAME_AT : self._NAME_AT + length].decode("utf-8", "replace")


#: The step a worker posts when a call has ended.
DONE: Final = "done"

# Set in the worker process (or in-process runs): where emit() sends to.
_emit: Callable[[Any], None] | None = None


def emit(event: Any) -> None:
    """Hand an event (a grid chunk, progress) to the caller's ``on_event``, across the process boundary."""
    if _emit is not None:
        _emit(event)


def listening() -> bool:
    """True when :func:`emit` hands events to someone (``deriv batch`` asks for none)."""
    return _emit is not None


# Set in the worker process: where step() posts to.
_board: StepBoard | None = None
_on_step: Callable[[bool], None] | None = None


def step(name: str, *, budgeted: bool = True, user_code: bool = False) -> None:
    """Say which step of the work starts now (a no-op outside a worker)."""
    if _board is not None:
        was_budgeted = _board.budgeted()
        _board.post(name, budgeted=budgeted, user_code=user_code)
        if _on_step is not None and was_budgeted != budgeted:
            _on_step(budgeted)


def attach(
    board: StepBoard | None,
    *,
    on_step: Callable[[bool], None] | None = None,
    on_event: Callable[[Any], None] | None = None,
) -> None:
    """Point :func:`step` at ``board`` (telling ``on_step`` when budgeted work starts or stops) and
    :func:`emit` at ``on_event``."""
    global _board, _on_step, _emit
    _board, _on_step, _emit = board, on_step, on_event


def events_to(on_event: Callable[[Any], None] | None) -> None:
    """Point :func:`emit` at ``on_event`` (None: events are dropped)."""
    global _emit
    _emit = on_event
