"""Heavy work in a child process under a time budget and operating-system limits.

SymPy can run for hours inside a single C or Python loop (``diff`` of
``x*sin(3+exp(exp(exp(3))))`` computes pi to millions of digits) where no
signal handler gets a chance to run. So a command's core runs in a forked
worker process: the parent waits on a pipe with a deadline and kills the
worker when the symbolic steps use up their budget. The worker also carries
operating-system limits (address space, CPU seconds) so that it cannot eat
the machine's memory, and dies with its parent.

The worker reports each step it starts with :func:`step`; only steps marked
as budgeted (the symbolic ones) spend the time budget, so a long autograd run
over a big grid is never cut short. One worker serves many calls (``deriv
batch`` keeps its caches warm in it); a killed worker is replaced on the next
call. Where ``fork`` is missing or unsafe (Windows, or a parent that has
already started CUDA) calls run in this process without a budget.

This module imports neither SymPy nor torch.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar

from derivcli.errors import DerivError, ErrorKind

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

T = TypeVar("T")

#: Default time budget of the symbolic steps of one command or batch line, in seconds.
DEFAULT_TIMEOUT: Final = 10.0
#: Longest budget accepted: a day.
MAX_TIMEOUT: Final = 86_400.0
#: Default cap on the worker's address space, in bytes (torch and SymPy loaded take about 0.8 GiB).
DEFAULT_MEMORY: Final = 8 * 2**30
#: CPU seconds granted beyond the wall-clock budget before the kernel stops a budgeted step itself.
CPU_GRACE_SECONDS: Final = 2
_PR_SET_PDEATHSIG: Final = 1


@dataclass(frozen=True, slots=True)
class Limits:
    """How long the budgeted (symbolic) steps may take, and how much address space the worker may map."""

    seconds: float = DEFAULT_TIMEOUT
    memory_bytes: int | None = DEFAULT_MEMORY


# Set in the worker process: where step() reports to.
_report: Callable[[str, bool], None] | None = None
_current_step = "starting"


def step(name: str, *, budgeted: bool = True) -> None:
    """Say which step of the work starts now (a no-op outside a worker)."""
    global _current_step
    _current_step = name
    if _report is not None:
        _report(name, budgeted)


def current_step() -> str:
    """The step this process said it started last."""
    return _current_step


def check_timeout(seconds: float, *, option: str = "--timeout") -> float:
    """Refuse a time budget that is not a finite number of seconds above zero (and at most a day)."""
    if not (0 < seconds <= MAX_TIMEOUT):
        raise DerivError(
            ErrorKind.BAD_OPTION,
            f"{option} must be a number of seconds above 0 and at most {MAX_TIMEOUT:,.0f}, got {seconds:g}",
        )
    return seconds


def fork_is_safe() -> bool:
    """True where a forked worker can do the work: POSIX, and no CUDA context in this process."""
    if not hasattr(os, "fork") or sys.platform == "win32":
        return False
    torch = sys.modules.get("torch")
    # A CUDA context does not survive fork; the child would fail on its first kernel.
    return torch is None or not torch.cuda.is_initialized()


class Worker:
    """A forked child process that runs functions for this one under :class:`Limits`."""

    def __init__(self) -> None:
        self._pid: int | None = None
        self._requests: Connection | None = None
        self._replies: Connection | None = None

    def run(self, function: Callable[..., T], *args: Any, limits: Limits, **kwargs: Any) -> T:
        """Call ``function(*args, **kwargs)`` in the worker; raise what it raised, or a budget error."""
        if not fork_is_safe():
            return function(*args, **kwargs)
        requests, replies = self._start()
        requests.send((function, args, kwargs, limits))
        return self._await(replies, limits)

    def close(self) -> None:
        """Let the worker exit (it ends when its request pipe closes)."""
        for connection in (self._requests, self._replies):
            if connection is not None:
                connection.close()
        if self._pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, os.WNOHANG)
        self._pid = self._requests = self._replies = None

    def _start(self) -> tuple[Connection, Connection]:
        """The pipes of a live worker, forking one if there is none."""
        if self._pid is not None and self._requests is not None and self._replies is not None:
            return self._requests, self._replies
        from multiprocessing.connection import Pipe

        request_read, request_write = Pipe(duplex=False)
        reply_read, reply_write = Pipe(duplex=False)
        # Whatever this process buffered would otherwise be written twice.
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child; covered through the parent's calls
            request_write.close()
            reply_read.close()
            _serve(request_read, reply_write)
        request_read.close()
        reply_write.close()
        self._pid, self._requests, self._replies = pid, request_write, reply_read
        return request_write, reply_read

    def _await(self, replies: Connection, limits: Limits) -> Any:
        """Read step reports until the result comes, killing the worker when the budget runs out."""
        remaining = limits.seconds
        step_name, budgeted = "starting", False
        last = time.monotonic()
        while True:
            try:
                ready = replies.poll(max(0.0, remaining) if budgeted else None)
            except BaseException:
                # Interrupted (Ctrl-C): the worker must not outlive the command.
                self._kill()
                raise
            now = time.monotonic()
            if budgeted:
                remaining -= now - last
            last = now
            if not ready:
                self._kill()
                raise _out_of_time(limits, step_name)
            try:
                message = replies.recv()
            except (EOFError, OSError):
                raise self._died(limits, step_name) from None
            tag = message[0]
            if tag == "step":
                step_name, budgeted = message[1], message[2]
            elif tag == "value":
                return message[1]
            elif tag == "error":
                raise message[1]
            elif tag == "memory":
                self._kill()
                raise _out_of_memory(limits, message[1])
            else:  # "bug": an unexpected exception in the worker
                raise WorkerBugError(message[1], message[2])

    def _died(self, limits: Limits, step_name: str) -> DerivError | WorkerBugError:
        """Explain a worker that vanished without answering (killed by a limit, or crashed)."""
        pid = self._pid
        self.close()
        status = 0
        if pid is not None:
            with contextlib.suppress(ChildProcessError):
                _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
            return _out_of_time(limits, step_name)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSEGV:
            # Running out of address space can surface as a crash inside C code.
            return _out_of_memory(limits, step_name)
        return WorkerBugError(f"the worker process ended unexpectedly while {step_name} (status {status})", "")

    def _kill(self) -> None:
        """Stop the worker now and reap it."""
        pid = self._pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self._pid = None
        self.close()


class WorkerBugError(Exception):
    """An unexpected exception inside the worker, carried over with its traceback text."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details


_default: Worker | None = None


def default_worker() -> Worker:
    """This process's worker, shared by every call so that its caches stay warm."""
    global _default
    if _default is None:
        _default = Worker()
    return _default


def close_default() -> None:
    """End this process's worker, if it has one."""
    global _default
    if _default is not None:
        _default.close()
        _default = None


def run(function: Callable[..., T], *args: Any, limits: Limits, **kwargs: Any) -> T:
    """Run ``function`` in this process's worker under ``limits`` (see :class:`Worker`)."""
    return default_worker().run(function, *args, limits=limits, **kwargs)


def _out_of_time(limits: Limits, step_name: str) -> DerivError:
    return DerivError(
        ErrorKind.TIMEOUT,
        f"the symbolic side ran out of its {limits.seconds:g} s time budget while {step_name}"
        " (raise the budget with --timeout)",
        step=step_name,
    )


def _out_of_memory(limits: Limits, step_name: str) -> DerivError:
    size = "" if limits.memory_bytes is None else f" of {limits.memory_bytes / 2**30:g} GiB"
    return DerivError(
        ErrorKind.OUT_OF_MEMORY,
        f"the worker process ran out of its memory budget{size} while {step_name}",
        step=step_name,
    )


def _serve(requests: Connection, replies: Connection) -> NoReturn:  # pragma: no cover - child process
    """The worker's loop: run each request, reply with its value or its error, exit when the pipe closes."""
    global _report
    # Ctrl-C reaches the whole process group: the parent handles it and kills this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    torch = sys.modules.get("torch")
    if torch is not None:
        # The parent may have run OpenMP work; GNU OpenMP's pool does not survive fork.
        torch.set_num_threads(1)
    cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)[1]

    def report(name: str, budgeted: bool) -> None:
        soft = resource.RLIM_INFINITY
        if budgeted and limits.seconds != math.inf:
            used = resource.getrusage(resource.RUSAGE_SELF)
            soft = int(used.ru_utime + used.ru_stime + limits.seconds) + CPU_GRACE_SECONDS
        if cpu_hard == resource.RLIM_INFINITY or soft <= cpu_hard:
            resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        replies.send(("step", name, budgeted))

    _report = report
    limits = Limits()
    while True:
        try:
            function, args, kwargs, limits = requests.recv()
        except (EOFError, OSError):
            os._exit(0)
        _limit_memory(limits.memory_bytes)
        reply: tuple[Any, ...]
        try:
            report("starting", False)
            reply = ("value", function(*args, **kwargs))
        except DerivError as error:
            reply = ("error", error)
        except MemoryError:
            reply = ("memory", current_step())
        except RecursionError:
            reply = ("error", DerivError(ErrorKind.TOO_DEEP, f"too deeply nested for {current_step()}"))
        except BaseException as error:  # noqa: BLE001 - every failure must reach the parent
            reply = ("bug", f"{type(error).__name__}: {error}", traceback.format_exc())
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        try:
            replies.send(reply)
        except MemoryError:
            replies.send(("memory", current_step()))
        except Exception as error:  # noqa: BLE001 - an unpicklable value is a bug to report, not to hang on
            replies.send(("bug", f"cannot send the result: {type(error).__name__}: {error}", ""))


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


@contextlib.contextmanager
def budgeted(name: str) -> Iterator[None]:
    """Mark a block as a budgeted step, returning to an unbudgeted one after it."""
    step(name)
    try:
        yield
    finally:
        step(f"after {name}", budgeted=False)
