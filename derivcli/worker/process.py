"""Heavy work in a child process under a time budget and operating-system limits.

SymPy can run for hours inside a single C or Python loop (``diff`` of
``x*sin(3+exp(exp(exp(3))))`` computes pi to millions of digits) where no
signal handler gets a chance to run. So a command's core runs in a forked
worker process: the parent waits on a pipe with a deadline and kills the
worker when the symbolic steps use up their budget. The worker also carries
operating-system limits (address space, CPU seconds) so that it cannot eat
the machine's memory, and dies with its parent.

The worker reports each step it starts (:func:`derivcli.worker.board.step`);
only steps marked as budgeted (the symbolic ones) spend the time budget, so a
long autograd run over a big grid is never cut short. One worker serves many
calls (``deriv batch`` keeps its caches warm in it); a killed worker is
replaced on the next call. Where ``fork`` is missing or unsafe (Windows, or a
parent that has already started CUDA) calls run in this process without a
budget.

This module imports neither SymPy nor torch.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from derivcli.errors import DerivError, ErrorKind, WorkerBugError
from derivcli.worker import board as steps
from derivcli.worker.board import StepBoard
from derivcli.worker.child import serve
from derivcli.worker.limits import Limits, out_of_memory, out_of_time

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

T = TypeVar("T")

#: Longest wait between two ``tick`` calls of :meth:`Worker.collect`, in seconds.
TICK_SECONDS: Final = 0.1


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
        self._oom_kills: int | None = None
        self._outstanding = 0
        # Replies read from the pipe (several come in one message) and not yet collected, in order.
        self._unread: collections.deque[tuple[Any, ...]] = collections.deque()
        # Replies collected from the running worker process, to tell which of its calls it is on.
        self._taken = 0
        self._lost = 0

    def run(
        self,
        function: Callable[..., T],
        *args: Any,
        limits: Limits,
        on_event: Callable[[Any], None] | None = None,
        **kwargs: Any,
    ) -> T:
        """Call ``function(*args, **kwargs)`` in the worker; raise what it raised, or a budget error.

        ``on_event`` receives, in this process, whatever the function passes to
        :func:`~derivcli.worker.board.emit` (chunks of a grid, progress), in order.
        """
        if not fork_is_safe():
            steps.events_to(on_event)
            try:
                return function(*args, **kwargs)
            finally:
                steps.events_to(None)
        self.submit(function, *args, limits=limits, events=on_event is not None, **kwargs)
        value: T = self.collect(limits, on_event=on_event)
        return value

    def start(self) -> None:
        """Fork the worker now (before this process starts threads), if it is not running."""
        self._start()

    def submit(
        self, function: Callable[..., Any], *args: Any, limits: Limits, events: bool = False, **kwargs: Any
    ) -> None:
        """Hand the worker a call without waiting for it (``collect`` waits); needs fork.

        Calls handed over before earlier ones are collected wait in the pipe and
        run in turn, each under its own limits. An OSError means that the worker
        died holding calls: collecting the first of them says how.
        """
        self._send((function, [(args, kwargs)], limits, events), 1)

    def submit_each(
        self, function: Callable[..., Any], arguments: Sequence[tuple[Any, ...]], *, limits: Limits
    ) -> None:
        """Hand the worker one call of ``function`` per tuple of ``arguments``, in one message.

        Each call runs in turn under ``limits`` and is collected on its own, as
        if submitted alone; one message instead of one per call spares the
        worker a read and an unpickling per call.
        """
        self._send((function, [(args, {}) for args in arguments], limits, False), len(arguments))

    def _send(self, message: tuple[Any, ...], calls: int) -> None:
        """Send a message of ``calls`` calls, to a fresh worker if this one died between calls."""
        requests, _ = self._start()
        if not self._outstanding:
            self._oom_kills = oom_kills()
        try:
            requests.send(message)
        except OSError:
            if self._outstanding:
                raise
            # The worker died between calls: a fresh one gets the call.
            self._pid = None
            self.close()
            requests, _ = self._start()
            requests.send(message)
        self._outstanding += calls

    @property
    def outstanding(self) -> int:
        """Calls handed over and not yet collected (0 once the worker is closed: they are lost)."""
        return self._outstanding

    def collect(
        self,
        limits: Limits,
        *,
        on_event: Callable[[Any], None] | None = None,
        tick: Callable[[], None] | None = None,
        ready: bool = False,
    ) -> Any:
        """The result of the oldest call handed over and not yet collected, under the same limits.

        When the worker ends (out of time, killed, crashed) with replies of
        older calls still inside it, the error raised is that of the call it
        was on, and :attr:`lost` says how many calls before it lost their
        replies (0 otherwise). ``tick``, if given, is called at least every
        :data:`TICK_SECONDS` while waiting (``deriv batch`` checks its other
        workers' budgets there).
        ``ready`` says that the caller has seen the reply pipe readable: it is
        read at once, without asking again.
        """
        if self._replies is None:
            raise WorkerBugError("collect() without a call in progress", "")
        return self._await(self._replies, limits, on_event, tick, ready=ready)

    def wait_handle(self) -> Connection | None:
        """The connection a call's answer arrives on, to wait on several workers at once (None: none)."""
        return self._replies

    def buffered(self) -> bool:
        """True when replies already read wait to be collected: ``collect`` returns the next at once."""
        return bool(self._unread)

    def running(self) -> int:
        """Which of the calls handed over and not yet collected the worker is on (0: the oldest).

        Several calls' replies leave the worker together, so the oldest call
        not yet collected may have ended already.
        """
        # Between two calls this names the one that ended last, if its reply has not been collected: a
        # worker that dies then dies sending it.
        return max(0, self._board.calls_started() - 1 - self._taken)

    @property
    def lost(self) -> int:
        """After a call failed with the worker's end: how many older calls lost their replies with it.

        Their replies had not left the worker; the caller hands those calls
        out again. 0 when the failing call was the oldest not yet collected.
        """
        return self._lost

    def close(self, *, wait: bool = True) -> None:
        """End the worker, which has nothing left to do: kill it, and reap it unless ``wait`` is False."""
        for connection in (self._requests, self._replies):
            if connection is not None:
                connection.close()
        pid = self._pid
        self._pid = self._requests = self._replies = None
        self._outstanding = 0
        self._unread.clear()
        if pid is not None:
            # The worker leads a process group of its own: processes it started (a deriv check file may
            # fork) end with it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if wait:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)

    def overdue(self, limits: Limits) -> DerivError | None:
        """If the running call has used up its budget (and no reply waits), kill the worker and say so.

        The call is the one :meth:`running` names; the replies of the calls
        before it that had not left the worker are lost with it (:attr:`lost`).
        """
        if self._replies is None or limits.seconds - self._board.spent(time.monotonic()) > 0:
            return None
        if self._unread or self._replies.poll(0):
            return None
        self._lost = self.running()
        self._kill()
        return out_of_time(limits, self._board.name())

    def _start(self) -> tuple[Connection, Connection]:
        """The pipes of a live worker, forking one if there is none (or if the last one died idle)."""
        if self._pid is not None and self._requests is not None and self._replies is not None:
            if self._outstanding:
                # Not replaced while it holds calls, which would be lost: if it died, sending fails, and
                # collecting the first call finds the pipe's end and how the worker ended.
                return self._requests, self._replies
            try:
                ended, _ = os.waitpid(self._pid, os.WNOHANG)
            except ChildProcessError:
                ended = self._pid
            if not ended:
                return self._requests, self._replies
            # Killed while idle (by the OOM killer, say): replace it.
            self._pid = None
            self.close()
        from multiprocessing.connection import Pipe

        request_read, request_write = Pipe(duplex=False)
        reply_read, reply_write = Pipe(duplex=False)
        # The board may still hold a killed call's spent budget; the new worker starts from nothing.
        self._board.reset()
        self._taken = 0
        # Whatever this process buffered would otherwise be written twice.
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child; covered through the parent's calls
            # The child must never return into the parent's code, whatever happens in it.
            try:
                os.setpgid(0, 0)
                request_write.close()
                reply_read.close()
                serve(request_read, reply_write, self._board)
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
        *,
        ready: bool = False,
    ) -> Any:
        """Wait for the result, killing the worker once its budgeted steps have used up the budget."""
        self._lost = 0
        while not self._unread:
            try:
                if ready:
                    # The caller saw the pipe readable: a reply (or the pipe's end) is there to read.
                    ready = False
                else:
                    # Only budgeted time counts: waiting for what is left of the budget never overshoots.
                    remaining = limits.seconds - self._board.spent(time.monotonic())
                    if remaining <= 0 and not replies.poll(0):
                        self._lost = self.running()
                        self._kill()
                        # Read once the worker is dead: the name can no longer change under us.
                        raise out_of_time(limits, self._board.name())
                    wait = max(0.0, remaining) if tick is None else min(max(0.0, remaining), TICK_SECONDS)
                    if not replies.poll(wait):
                        if tick is not None:
                            tick()
                        continue
                try:
                    message = replies.recv()
                except (EOFError, OSError):
                    raise self._died(limits) from None
                if message[0] == "event":
                    if on_event is not None:
                        on_event(message[1])
                    continue
            except (DerivError, WorkerBugError):
                raise
            except BaseException:
                # Interrupted (Ctrl-C), or a failing event handler: the worker must not outlive the call.
                self._kill()
                raise
            self._unread.extend(message[1])  # ("replies", [reply, ...])
        reply = self._unread.popleft()
        self._outstanding -= 1
        self._taken += 1
        tag = reply[0]
        if tag == "value":
            return reply[1]
        if tag == "error":
            raise reply[1]
        if tag == "memory":
            self._kill()
            raise out_of_memory(limits, reply[1])
        # "bug": an unexpected exception in the worker
        raise WorkerBugError(reply[1], reply[2])

    def _died(self, limits: Limits) -> DerivError | WorkerBugError:
        """Explain a worker that vanished without answering (stopped by a limit, killed, or crashed)."""
        self._lost = self.running()
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
            return out_of_time(limits, step_name)
        how = _how_it_ended(status, signalled)
        if self._board.user_code():
            # sys.exit is caught as an exception; os._exit, a crash or a signal in the user's code end here.
            return DerivError(
                ErrorKind.USER_CODE,
                f"the worker process ended ({how}) while {step_name}: the user's code ended it",
                step=step_name,
            )
        if signalled == signal.SIGKILL:
            # deriv's own kills never get here. The kernel's count says whether its out-of-memory killer
            # sent this one; where it keeps none, both senders are possible.
            now, before = oom_kills(), self._oom_kills
            if now is not None and before is not None and now > before:
                return DerivError(
                    ErrorKind.OUT_OF_MEMORY,
                    f"the kernel's out-of-memory killer ended the worker process while {step_name}",
                    step=step_name,
                )
            sender = "another program" if now is not None else "another program or the out-of-memory killer"
            return DerivError(
                ErrorKind.KILLED,
                f"the worker process was killed ({how}, sent by {sender}) while {step_name}",
                step=step_name,
            )
        if signalled in _CRASHES or signalled is None:
            return WorkerBugError(f"the worker process ended ({how}) while {step_name}", "")
        return DerivError(
            ErrorKind.KILLED,
            f"the worker process was killed ({how}, sent by another program) while {step_name}",
            step=step_name,
        )

    def _kill(self) -> None:
        """Stop the worker now and reap it."""
        self.close(wait=True)


#: Signals with which a process crashes on its own (a bug), as opposed to being sent one.
_CRASHES: Final = frozenset({signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT})
#: Where the kernel counts the processes its out-of-memory killer ended in this cgroup (cgroup v2).
_MEMORY_EVENTS: Final = "/sys/fs/cgroup/memory.events"


def oom_kills() -> int | None:
    """Processes of this cgroup the out-of-memory killer ended (None where the kernel keeps no count)."""
    try:
        with open(_MEMORY_EVENTS, encoding="ascii") as events:
            for line in events:
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
    except (OSError, ValueError):
        pass
    return None


def _how_it_ended(status: int, signalled: int | None) -> str:
    """``signal 9 (SIGKILL)`` or ``status 3``."""
    if signalled is None:
        return f"status {os.waitstatus_to_exitcode(status)}"
    try:
        return f"signal {signalled} ({signal.Signals(signalled).name})"
    except ValueError:
        return f"signal {signalled}"


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
    on_event: Callable[[Any], None] | None = None,
    **kwargs: Any,
) -> T:
    """Run ``function`` in this process's worker under ``limits`` (see :meth:`Worker.run`)."""
    return default_worker().run(function, *args, limits=limits, on_event=on_event, **kwargs)
