"""Time budgets for SymPy: interrupt Python-level work with SIGALRM when it runs too long."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Final

#: Longest time budget accepted (setitimer refuses very large values).
MAX_BUDGET_SECONDS: Final = 86_400.0


class OutOfTimeError(BaseException):
    """Raised inside SymPy when a time budget runs out.

    A BaseException, so that SymPy's own ``except Exception`` clauses do not
    swallow it.
    """


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Interrupt Python-level work after ``seconds`` (main thread on POSIX only).

    The alarm repeats every 50 ms until the block is left, in case a library
    swallows the first one; alarms arriving after the block has ended are ignored.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return
    active = [True]

    def on_alarm(signum: int, frame: object) -> None:
        if active[0]:
            raise OutOfTimeError

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, MAX_BUDGET_SECONDS), 0.05)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
