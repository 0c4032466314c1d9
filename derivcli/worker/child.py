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
from derivcli.worker.freezing import freeze_libraries
from derivcli.worker.limits import CPU_GRACE_SECONDS, Limits

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

_PR_SET_PDEATHSIG: Final = 1
#: Longest a finished call's reply waits for those of the calls after it in the same message: seconds
#: of this process's CPU time, so that a reply goes out while a slow call after it still works.
REPLY_DELAY_SECONDS: Final = 0.005


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
    held = _HeldReplies(replies, board)
    while True:
        try:
            function, calls, limits, wants_events = requests.recv()
        except (EOFError, OSError):
            os._exit(0)
        if limits.memory_bytes != applied_memory:
            _limit_memory(limits.memory_bytes)
            applied_memory = limits.memory_bytes
        send_event = (lambda event: _send_or_exit(replies, ("event", event))) if wants_events else None
        # Calls handed over in one message run in turn, each on its own budget and with its own reply.
        # While another message waits behind this one, replies leave together (one write, and one
        # wake-up of the parent, for several calls): at the message's end, or once the oldest has
        # waited REPLY_DELAY_SECONDS of work. With nothing waiting, each leaves at once, so that the
        # parent hands over more lines before this worker runs out. A reply that ends the worker
        # (memory, a bug) and a call that sends events leave at once: nothing overtakes a reply.
        for args, kwargs in calls:
            if held and not requests.poll(0):
                held.send()
            limit_cpu(False)
            steps.attach(board, on_step=limit_cpu, on_event=send_event)
            held.add(_run_call(function, args, kwargs, board))
            if wants_events or held.ends_the_worker():
                held.send()
            # After the call that imported SymPy or torch, what they left is frozen (see freezing.py).
            freeze_libraries()
        held.send()


class _HeldReplies:
    """Replies that wait to leave together, and the alarm that sends them once the oldest has waited.

    The alarm counts this process's CPU time (``ITIMER_VIRTUAL``; SIGALRM is
    the symbolic steps' own budget), so it goes off while a long call works,
    between two of Python's steps: a reply never waits for the whole of a
    slow call after it.
    """

    def __init__(self, replies: Connection, board: StepBoard) -> None:  # pragma: no cover - child process
        self._replies = replies
        self._board = board
        self._unsent: list[tuple[Any, ...]] = []
        self._sending = False
        signal.signal(signal.SIGVTALRM, self._on_alarm)

    def __bool__(self) -> bool:  # pragma: no cover - child process
        return bool(self._unsent)

    def add(self, reply: tuple[Any, ...]) -> None:  # pragma: no cover - child process
        """Hold a call's reply (none with no delay at all); the first one held starts the alarm."""
        self._unsent.append(reply)
        if REPLY_DELAY_SECONDS <= 0:
            self.send()
        elif len(self._unsent) == 1:
            signal.setitimer(signal.ITIMER_VIRTUAL, REPLY_DELAY_SECONDS)

    def ends_the_worker(self) -> bool:  # pragma: no cover - child process
        """True when the latest reply is one after which the parent replaces the worker."""
        return bool(self._unsent) and self._unsent[-1][0] in ("memory", "bug")

    def send(self) -> None:  # pragma: no cover - child process
        """Send every held reply, in order, and stop the alarm."""
        if not self._unsent or self._sending:
            return
        self._sending = True
        try:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            _send_replies(self._replies, self._unsent, self._board)
        finally:
            self._sending = False

    def _on_alarm(self, signum: int, frame: object) -> None:  # pragma: no cover - child process
        self.send()


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


def _send_replies(
    replies: Connection, unsent: list[tuple[Any, ...]], board: StepBoard
) -> None:  # pragma: no cover
    """Send the calls' replies, in order, after what they printed; end quietly if the parent is gone."""
    if not unsent:
        return
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        replies.send(("replies", unsent))
    except OSError:
        os._exit(0)  # the parent is gone or stopped listening
    except MemoryError:
        _send_or_exit(replies, ("replies", [("memory", board.name())]))
    except Exception:  # noqa: BLE001 - an unpicklable value is a bug to report, not to hang on
        # Each alone, so that only the one that cannot be sent fails.
        for reply in unsent:
            try:
                replies.send(("replies", [reply]))
            except OSError:
                os._exit(0)
            except Exception as error:  # noqa: BLE001 - reported in its place
                failure = ("bug", f"cannot send the result: {type(error).__name__}: {error}", "")
                _send_or_exit(replies, ("replies", [failure]))
    unsent.clear()


def _allocation_failed(error: BaseException) -> bool:  # pragma: no cover - child process
    """True for torch's way of running out of memory: a RuntimeError from its allocator, not MemoryError."""
    if type(error).__name__ == "OutOfMemoryError":
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and ("can't allocate memory" in text or "out of memory" in text)


def _send_or_exit(replies: Connection, message: tuple[Any, ...]) -> None:  # pragma: no cover - child
    """Send a message to the parent, or end quietly if it is no longer listening."""
    try:
        replies.send(message)
    except OSError:
        os._exit(0)


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
