"""The worker's ends of its two pipes, each served by a thread of its own (in the forked child only).

- :class:`Inbox`: a thread reads each message as soon as the parent writes
  it. Otherwise a worker busy with its calls leaves the request pipe full; a
  parent blocked writing a large message to it, while the worker blocks
  writing a large reply that the parent is not reading, is a deadlock.
- :class:`Outbox`: replies that may wait to leave together. Once the
  oldest has waited :data:`REPLY_DELAY_SECONDS` of this process's CPU time
  (an ``ITIMER_VIRTUAL`` alarm: SIGALRM is the symbolic steps' own budget),
  a thread sends them, even while a slow call runs (when that call lets
  Python run its signal handlers and switch threads: a single C loop that
  holds the interpreter does not). The alarm's handler only wakes that
  thread: every write to the reply pipe is made by a thread holding the
  outbox's lock, in order, and no alarm can cut a message in half. A group
  of quick calls ends before the alarm, which then costs two system calls
  and wakes no thread.

This module imports neither SymPy nor torch.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, Final

from derivcli.worker.board import StepBoard

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

#: Longest a finished call's reply waits for those of the calls after it in the same message.
REPLY_DELAY_SECONDS: Final = 0.005


class _ReadFailed:
    """What the reading thread hands over when a message could not be read (not the pipe's end)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class Inbox:  # pragma: no cover - child process
    """The parent's messages, read by a thread as they come and taken in order."""

    def __init__(self, requests: Connection) -> None:
        self._messages: queue.SimpleQueue[Any] = queue.SimpleQueue()
        threading.Thread(target=self._read, args=(requests,), name="deriv-requests", daemon=True).start()

    def next(self) -> Any:
        """The next message, waiting for it; None once the parent has closed the pipe."""
        message = self._messages.get()
        if isinstance(message, _ReadFailed):
            raise message.error
        return message

    def waiting(self) -> bool:
        """True when another message has arrived."""
        return not self._messages.empty()

    def _read(self, requests: Connection) -> None:
        while True:
            try:
                message = requests.recv()
            except (EOFError, OSError):
                self._messages.put(None)
                return
            except BaseException as error:  # noqa: BLE001 - raised in the main thread, where it is reported
                self._messages.put(_ReadFailed(error))
                return
            self._messages.put(message)


class Outbox:  # pragma: no cover - child process
    """Replies held to leave together, events, and the thread that sends held replies when they are due."""

    def __init__(self, replies: Connection, board: StepBoard) -> None:
        self._replies = replies
        self._board = board
        self._lock = threading.Lock()
        self._unsent: list[tuple[Any, ...]] = []
        self._due = threading.Event()
        signal.signal(signal.SIGVTALRM, lambda signum, frame: self._due.set())
        threading.Thread(target=self._send_when_due, name="deriv-replies", daemon=True).start()

    def __bool__(self) -> bool:
        return bool(self._unsent)

    def hold(self, reply: tuple[Any, ...]) -> None:
        """Hold a call's reply (send it at once when replies wait not at all); the first starts the alarm."""
        with self._lock:
            self._unsent.append(reply)
            if REPLY_DELAY_SECONDS <= 0:
                self._send_held()
            elif len(self._unsent) == 1:
                signal.setitimer(signal.ITIMER_VIRTUAL, REPLY_DELAY_SECONDS)

    def send(self) -> None:
        """Send every held reply now, in order."""
        with self._lock:
            self._send_held()

    def event(self, event: Any) -> None:
        """Send an event of the running call, after every reply held before it."""
        with self._lock:
            self._send_held()
            _send_or_exit(self._replies, ("event", event))

    def _send_when_due(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            with self._lock:
                self._send_held()

    def _send_held(self) -> None:
        """Send the held replies and stop the alarm (the lock is held), after what the calls printed."""
        if not self._unsent:
            return
        unsent, self._unsent = self._unsent, []
        if threading.current_thread() is threading.main_thread():
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        try:
            self._replies.send(("replies", unsent))
        except OSError:
            os._exit(0)  # the parent is gone or stopped listening
        except MemoryError:
            _send_or_exit(self._replies, ("replies", [("memory", self._board.name())]))
        except Exception:  # noqa: BLE001 - an unpicklable value is a bug to report, not to hang on
            # Each alone: only the reply that cannot be sent fails (the message was pickled whole before
            # any of it was written, so nothing has left yet).
            for reply in unsent:
                _send_or_exit(self._replies, ("replies", [reply]), failed=True)


def _send_or_exit(replies: Connection, message: tuple[Any, ...], *, failed: bool = False) -> None:
    """Send a message to the parent, or end quietly if it is no longer listening.

    With ``failed`` (a message of one reply that may not pickle), a reply that
    cannot be sent becomes the report of why.
    """
    try:
        replies.send(message)
    except OSError:
        os._exit(0)
    except MemoryError:
        if not failed:
            raise
        _send_or_exit(replies, ("replies", [("memory", "sending the result")]))
    except Exception as error:
        if not failed:
            raise
        failure = ("bug", f"cannot send the result: {type(error).__name__}: {error}", "")
        _send_or_exit(replies, ("replies", [failure]))
