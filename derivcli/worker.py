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
import mmap
import os
import resource
import signal
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar

from derivcli.errors import DerivError, ErrorKind, WorkerBugError
from derivcli.model.setup import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

T = TypeVar("T")

#: Default cap on the worker's address space, in bytes (torch and SymPy loaded take about 0.8 GiB).
DEFAULT_MEMORY: Final = 8 * 2**30
#: CPU seconds granted beyond the wall-clock budget before the kernel stops a budgeted step itself.
CPU_GRACE_SECONDS: Final = 2
_PR_SET_PDEATHSIG: Final = 1
#: Longest wait between two ``tick`` calls of :meth:`Worker.collect`, in seconds.
TICK_SECONDS: Final = 0.1


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


class StepBoard:
    """Shared memory where the worker posts its current step and the parent reads the time it spent.

    Writing a step is a few stores into memory, not a message: ``deriv batch``
    posts a dozen steps per line. Layout: the seconds spent in budgeted steps
    already finished, the monotonic time the current budgeted step began (0
    when the current step is not budgeted), then the step's name.
    """

    _HEADER: Final = struct.Struct("=ddI")
    _SIZE: Final = 4096

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, self._SIZE)

    def reset(self) -> None:
        """Start a new call: nothing spent, no budgeted step running."""
        self.post("starting", budgeted=False, spent=0.0)

    def post(self, name: str, *, budgeted: bool, spent: float | None = None) -> None:
        """Record that step ``name`` starts now."""
        now = time.monotonic()
        if spent is None:
            spent = self.spent(now)
        encoded = name.encode("utf-8", "replace")[: self._SIZE - self._HEADER.size]
        self._memory[self._HEADER.size : self._HEADER.size + len(encoded)] = encoded
        self._HEADER.pack_into(self._memory, 0, spent, now if budgeted else 0.0, len(encoded))

    def spent(self, now: float) -> float:
        """Seconds spent in budgeted steps so far, the running one included."""
        finished, began, _ = self._HEADER.unpack_from(self._memory, 0)
        return float(finished + (now - began if began else 0.0))

    def budgeted(self) -> bool:
        """True while a budgeted step runs."""
        return bool(self._HEADER.unpack_from(self._memory, 0)[1])

    def name(self) -> str:
        """The current step's name."""
        length = self._HEADER.unpack_from(self._memory, 0)[2]
        start = self._HEADER.size
        return self._memory[start : start + length].decode("utf-8", "replace")


def _import_all(modules: tuple[str, ...]) -> None:
    """Import modules (in a thread, while the worker computes)."""
    import importlib

    for module in modules:
        importlib.import_module(module)


# Set in the worker process (or in-process runs): where emit() sends to.
_emit: Callable[[Any], None] | None = None


def emit(event: Any) -> None:
    """Hand an event (a grid chunk, progress) to the caller's ``on_event``, across the process boundary."""
    if _emit is not None:
        _emit(event)


# Set in the worker process: where step() posts to.
_board: StepBoard | None = None
_on_step: Callable[[bool], None] | None = None


def step(name: str, *, budgeted: bool = True) -> None:
    """Say which step of the work starts now (a no-op outside a worker)."""
    if _board is not None:
        was_budgeted = _board.budgeted()
        _board.post(name, budgeted=budgeted)
        if _on_step is not None and was_budgeted != budgeted:
            _on_step(budgeted)


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
        self._board = StepBoard()
        self._loader: threading.Thread | None = None

    def run(
        self,
        function: Callable[..., T],
        *args: Any,
        limits: Limits,
        preload: Sequence[str] = (),
        on_event: Callable[[Any], None] | None = None,
        **kwargs: Any,
    ) -> T:
        """Call ``function(*args, **kwargs)`` in the worker; raise what it raised, or a budget error.

        ``preload`` names modules this process will need for the result (to
        unpickle and render it); they are imported in a thread while the worker
        computes. ``on_event`` receives, in this process, whatever the function
        passes to :func:`emit` (chunks of a grid, progress), in order.
        """
        if not fork_is_safe():
            global _emit
            _emit = on_event
            try:
                return function(*args, **kwargs)
            finally:
                _emit = None
        self.submit(function, *args, limits=limits, events=on_event is not None, **kwargs)
        loader = None
        if preload:
            loader = threading.Thread(target=_import_all, args=(tuple(preload),), daemon=True)
            loader.start()
            self._loader = loader
        try:
            value: T = self.collect(limits, on_event=on_event)
        finally:
            if loader is not None:
                loader.join()
        return value

    def start(self) -> None:
        """Fork the worker now (before this process starts threads), if it is not running."""
        self._start()

    def submit(
        self, function: Callable[..., Any], *args: Any, limits: Limits, events: bool = False, **kwargs: Any
    ) -> None:
        """Hand the worker a call without waiting for it (``collect`` waits); needs fork."""
        message = (function, args, kwargs, limits, events)
        requests, _ = self._start()
        self._board.reset()
        try:
            requests.send(message)
        except OSError:
            # The worker died between calls: a fresh one gets the call.
            self._pid = None
            self.close()
            requests, _ = self._start()
            self._board.reset()
            requests.send(message)

    def collect(
        self,
        limits: Limits,
        *,
        on_event: Callable[[Any], None] | None = None,
        tick: Callable[[], None] | None = None,
    ) -> Any:
        """The result of the call handed over by ``submit``, under the same limits.

        ``tick``, if given, is called at least every :data:`TICK_SECONDS` while
        waiting (``deriv batch`` checks its other workers' budgets there).
        """
        if self._replies is None:
            raise WorkerBugError("collect() without a call in progress", "")
        return self._await(self._replies, limits, on_event, tick)

    def close(self, *, wait: bool = True) -> None:
        """End the worker, which has nothing left to do: kill it, and reap it unless ``wait`` is False."""
        for connection in (self._requests, self._replies):
            if connection is not None:
                connection.close()
        pid = self._pid
        self._pid = self._requests = self._replies = None
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if wait:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)

    def overdue(self, limits: Limits) -> DerivError | None:
        """If the running call has used up its budget (and no reply waits), kill the worker and say so."""
        if self._replies is None or limits.seconds - self._board.spent(time.monotonic()) > 0:
            return None
        if self._replies.poll(0):
            return None
        self._kill()
        return _out_of_time(limits, self._board.name())

    def _start(self) -> tuple[Connection, Connection]:
        """The pipes of a live worker, forking one if there is none (or if the last one died idle)."""
        if self._pid is not None and self._requests is not None and self._replies is not None:
            try:
                ended, _ = os.waitpid(self._pid, os.WNOHANG)
            except ChildProcessError:
                ended = self._pid
            if not ended:
                return self._requests, self._replies
            # Killed while idle (by the OOM killer, say): replace it.
            self._pid = None
            self.close()
        if self._loader is not None:
            # A fork while another thread holds the import lock would leave the child stuck on it.
            self._loader.join()
        from multiprocessing.connection import Pipe

        request_read, request_write = Pipe(duplex=False)
        reply_read, reply_write = Pipe(duplex=False)
        # Whatever this process buffered would otherwise be written twice.
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child; covered through the parent's calls
            # The child must never return into the parent's code, whatever happens in it.
            try:
                request_write.close()
                reply_read.close()
                _serve(request_read, reply_write, self._board)
            except BaseException:  # noqa: BLE001 - reported, then the child ends
                with contextlib.suppress(BaseException):
                    traceback.print_exc()
            finally:
                os._exit(70)
        request_read.close()
        reply_write.close()
        self._pid, self._requests, self._replies = pid, request_write, reply_read
        return request_write, reply_read

    def _await(
        self,
        replies: Connection,
        limits: Limits,
        on_event: Callable[[Any], None] | None,
        tick: Callable[[], None] | None = None,
    ) -> Any:
        """Wait for the result, killing the worker once its budgeted steps have used up the budget."""
        while True:
            try:
                # Only budgeted time counts, so waiting for what is left of the budget can never overshoot.
                remaining = limits.seconds - self._board.spent(time.monotonic())
                if remaining <= 0 and not replies.poll(0):
                    self._kill()
                    # Read once the worker is dead: the name can no longer change under us.
                    raise _out_of_time(limits, self._board.name())
                wait = max(0.0, remaining) if tick is None else min(max(0.0, remaining), TICK_SECONDS)
                if not replies.poll(wait):
                    if tick is not None:
                        tick()
                    continue
                try:
                    message = replies.recv()
                except (EOFError, OSError):
                    raise self._died(limits) from None
                tag = message[0]
                if tag == "event":
                    if on_event is not None:
                        on_event(message[1])
                    continue
            except (DerivError, WorkerBugError):
                raise
            except BaseException:
                # Interrupted (Ctrl-C), or a failing event handler: the worker must not outlive the call.
                self._kill()
                raise
            if tag == "value":
                return message[1]
            if tag == "error":
                raise message[1]
            if tag == "memory":
                self._kill()
                raise _out_of_memory(limits, message[1])
            # "bug": an unexpected exception in the worker
            raise WorkerBugError(message[1], message[2])

    def _died(self, limits: Limits) -> DerivError | WorkerBugError:
        """Explain a worker that vanished without answering (stopped by a limit, killed, or crashed)."""
        pid = self._pid
        status = 0
        if pid is not None:
            # The status first: closing would otherwise reap the child and lose it.
            with contextlib.suppress(ChildProcessError):
                _, status = os.waitpid(pid, 0)
        self._pid = None
        self.close()
        step_name = self._board.name()
        signalled = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        if signalled == signal.SIGXCPU:
            return _out_of_time(limits, step_name)
        if signalled == signal.SIGKILL:
            # deriv's own kills never get here: this one came from outside, most often the OOM killer.
            return DerivError(
                ErrorKind.OUT_OF_MEMORY,
                f"the worker process was killed while {step_name} (most likely out of memory)",
                step=step_name,
            )
        how = (
            f"signal {signalled}" if signalled is not None else f"status {os.waitstatus_to_exitcode(status)}"
        )
        return WorkerBugError(f"the worker process ended ({how}) while {step_name}", "")

    def _kill(self) -> None:
        """Stop the worker now and reap it."""
        self.close(wait=True)


_default: Worker | None = None


def default_worker() -> Worker:
    """This process's worker, shared by every call so that its caches stay warm."""
    global _default
    if _default is None:
        _default = Worker()
    return _default


def close_default(*, wait: bool = True) -> None:
    """End this process's worker, if it has one (``wait``: reap it too)."""
    global _default
    if _default is not None:
        _default.close(wait=wait)
        _default = None


def run(
    function: Callable[..., T],
    *args: Any,
    limits: Limits,
    preload: Sequence[str] = (),
    on_event: Callable[[Any], None] | None = None,
    **kwargs: Any,
) -> T:
    """Run ``function`` in this process's worker under ``limits`` (see :meth:`Worker.run`)."""
    return default_worker().run(function, *args, limits=limits, preload=preload, on_event=on_event, **kwargs)


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


def _serve(requests: Connection, replies: Connection, board: StepBoard) -> NoReturn:  # pragma: no cover
    """The worker's loop: run each request, reply with its value or its error, exit when the pipe closes."""
    global _board, _on_step, _emit
    # Ctrl-C reaches the whole process group: the parent handles it and kills this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    torch = sys.modules.get("torch")
    if torch is not None:
        # The parent may have run OpenMP work; GNU OpenMP's pool does not survive fork.
        torch.set_num_threads(1)
    cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    # A worker stopped by a limit must not write a core file of a gigabyte.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))

    def limit_cpu(budgeted: bool) -> None:
        # A backstop for the parent's clock: the kernel stops a budgeted step that overruns by far.
        soft = cpu_hard  # RLIM_INFINITY, or the most the environment (ulimit -t) allows
        if budgeted and limits.seconds != math.inf:
            used = resource.getrusage(resource.RUSAGE_SELF)
            wanted = int(used.ru_utime + used.ru_stime + limits.seconds) + CPU_GRACE_SECONDS
            soft = wanted if cpu_hard == resource.RLIM_INFINITY else min(wanted, cpu_hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))

    _board, _on_step = board, limit_cpu
    limits = Limits()
    applied_memory: int | bool | None = False  # nothing applied yet
    while True:
        try:
            function, args, kwargs, limits, wants_events = requests.recv()
        except (EOFError, OSError):
            os._exit(0)
        if limits.memory_bytes != applied_memory:
            _limit_memory(limits.memory_bytes)
            applied_memory = limits.memory_bytes
        limit_cpu(False)
        _emit = (lambda event: _send_or_exit(replies, ("event", event))) if wants_events else None
        reply: tuple[Any, ...]
        try:
            step("starting", budgeted=False)
            reply = ("value", function(*args, **kwargs))
        except DerivError as error:
            reply = ("error", error)
        except MemoryError:
            reply = ("memory", board.name())
        except RecursionError:
            reply = ("error", DerivError(ErrorKind.TOO_DEEP, f"too deeply nested for {board.name()}"))
        except BaseException as error:  # noqa: BLE001 - every failure must reach the parent
            reply = ("bug", f"{type(error).__name__}: {error}", traceback.format_exc())
        # The clock stops with the work: the parent may collect this reply much later.
        step("done", budgeted=False)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        try:
            replies.send(reply)
        except OSError:
            os._exit(0)  # the parent is gone or stopped listening
        except MemoryError:
            _send_or_exit(replies, ("memory", board.name()))
        except Exception as error:  # noqa: BLE001 - an unpicklable value is a bug to report, not to hang on
            _send_or_exit(replies, ("bug", f"cannot send the result: {type(error).__name__}: {error}", ""))


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
