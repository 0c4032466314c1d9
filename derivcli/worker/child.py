"""The worker's side of the pipe: its loop, and the operating-system limits it puts on itself.

Everything here runs in the forked child only.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import signal
import sys
import traceback
from typing import TYPE_CHECKING, Any, Final, NoReturn

from derivcli.errors import DerivError, ErrorKind
from derivcli.worker import board as steps
from derivcli.worker.board import StepBoard
from derivcli.worker.channel import Inbox, Outbox
from derivcli.worker.freezing import freeze_libraries
from derivcli.worker.limits import CPU_GRACE_SECONDS, Limits

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

_PR_SET_PDEATHSIG: Final = 1


def serve(requests: Connection, replies: Connection, board: StepBoard) -> NoReturn:  # pragma: no cover
    """The worker's loop: run each request, reply with its value or its error, exit when the pipe closes."""
    # Ctrl-C reaches the whole process group: the parent handles it and kills this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    # Stdout is the command's, for its table or JSON: anything the work prints (a print() in a deriv
    # check file, a library's chatter) goes to stderr instead.
    with contextlib.suppress(OSError):
        sys.stdout.flush()
        os.dup2(2, 1)
    torch = sys.modules.get("torch")
    if torch is not None:
        # The parent may have run OpenMP work; GNU OpenMP's pool does not survive fork.
        torch.set_num_threads(1)
    cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    # A worker stopped by a limit must not write a core file of a gigabyte.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))

    applied_cpu: list[int | None] = [None]  # the soft limit last set

    def limit_cpu(budgeted: bool) -> None:
        # A backstop for the parent's clock: the kernel stops a budgeted step that overruns by far. CPU
        # time counts every thread (torch runs one per core), so the budget is granted per core.
        soft = cpu_hard  # RLIM_INFINITY, or the most the environment (ulimit -t) allows
        if budgeted and limits.seconds != math.inf:
            used = resource.getrusage(resource.RUSAGE_SELF)
            cores = os.cpu_count() or 1
            wanted = int(used.ru_utime + used.ru_stime + limits.seconds * cores) + CPU_GRACE_SECONDS
            soft = wanted if cpu_hard == resource.RLIM_INFINITY else min(wanted, cpu_hard)
        if soft == applied_cpu[0]:
            return  # already set (calls in a row, lines of a batch, mostly ask for the same whole second)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
            applied_cpu[0] = soft

    limits = Limits()
    applied_memory: int | bool | None = False  # nothing applied yet
    inbox, outbox = Inbox(requests), Outbox(replies, board)
    while True:
        message = inbox.next()
        if message is None:
            os._exit(0)
        function, calls, limits, wants_events = message
        if limits.memory_bytes != applied_memory:
            _limit_memory(limits.memory_bytes)
            applied_memory = limits.memory_bytes
        # Calls handed over in one message run in turn, each on its own budget and with its own reply.
        # While another message waits behind this one, replies leave together (one write, and one
        # wake-up of the parent, for several calls): at the message's end, or once the oldest has
        # waited REPLY_DELAY_SECONDS. With nothing waiting, each leaves at once, so that the parent
        # hands over more lines before this worker runs out; so does a failure's (memory, a bug),
        # and every reply of calls that send events.
        for args, kwargs in calls:
            if outbox and not inbox.waiting():
                outbox.send()
            limit_cpu(False)
            steps.attach(board, on_step=limit_cpu, on_event=outbox.event if wants_events else None)
            reply = _run_call(function, args, kwargs, board)
            outbox.hold(reply)
            if wants_events or reply[0] in ("memory", "bug"):
                outbox.send()
            # After the call that imported SymPy or torch, what they left is frozen (see freezing.py).
            freeze_libraries()
        outbox.send()


def _run_call(
    function: Any, args: tuple[Any, ...], kwargs: dict[str, Any], board: StepBoard
) -> tuple[Any, ...]:  # pragma: no cover - child process
    """One call's reply: its value, its error, or how it failed."""
    reply: tuple[Any, ...]
    try:
        # Each call starts with nothing spent: calls handed over together run in turn, each on its budget.
        board.start_call()
        reply = ("value", function(*args, **kwargs))
    except DerivError as error:
        reply = ("error", error)
    except MemoryError:
        reply = ("memory", board.name())
    except RecursionError:
        reply = ("error", DerivError(ErrorKind.TOO_DEEP, f"too deeply nested for {board.name()}"))
    except BaseException as error:  # noqa: BLE001 - every failure must reach the parent
        if _allocation_failed(error):
            reply = ("memory", board.name())
        else:
            reply = ("bug", f"{type(error).__name__}: {error}", traceback.format_exc())
    # The clock stops with the work (the step lifts the CPU limit), and is at zero before the reply
    # leaves: the parent may collect this reply much later, and meanwhile watch the next call's
    # budget on the same board.
    steps.step(steps.DONE, budgeted=False)
    board.post(steps.DONE, budgeted=False, spent=0.0)
    return reply


def _allocation_failed(error: BaseException) -> bool:  # pragma: no cover - child process
    """True for torch's way of running out of memory: a RuntimeError from its allocator, not MemoryError."""
    if type(error).__name__ == "OutOfMemoryError":
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and ("can't allocate memory" in text or "out of memory" in text)


def _limit_memory(memory_bytes: int | None) -> None:  # pragma: no cover - child process
    """Cap the worker's address space (not with CUDA, whose driver reserves huge address ranges)."""
    torch = sys.modules.get("torch")
    if memory_bytes is None or (torch is not None and torch.cuda.is_initialized()):
        limit = resource.RLIM_INFINITY
    else:
        limit = max(memory_bytes, _address_space() + 2**30)
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        limit = hard if limit == resource.RLIM_INFINITY else min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int:  # pragma: no cover - child process
    """This process's mapped address space in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _die_with_parent() -> None:  # pragma: no cover - child process
    """On Linux, have the kernel kill the worker if the parent dies first."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:
        os._exit(0)
