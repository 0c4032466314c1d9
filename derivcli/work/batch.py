"""``deriv batch``'s scheduler: input lines handed to worker processes, answers given back in input order.

This is the one work module that runs in the command's own process: it
starts the workers and hands each line to them, where :func:`solve_line`
reads it and computes it exactly as ``deriv partial --json`` would. A line
that cannot be read or computed becomes an error result and the batch goes
on. Parsed expressions, symbolic derivatives and torch translations are
cached in each worker, so a repeated expression costs only its evaluation.
"""

from __future__ import annotations

import collections
import importlib
import os
import queue
import select
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from derivcli.errors import ErrorKind
from derivcli.model.batch import (
    UNEXPLAINED_SHOWN,
    BatchRequest,
    BatchResult,
    BatchSummary,
    LongLine,
    failed_result,
    has_id,
    id_of,
    line_request,
    read_problem,
)
from derivcli.model.eval import Report
from derivcli.model.setup import DEFAULT_TIMEOUT
from derivcli.parsing.tree import ParsedExpression
from derivcli.worker.cache import SizedCache
from derivcli.worker.freezing import freeze_libraries
from derivcli.worker.limits import Limits
from derivcli.worker.process import TICK_SECONDS, Worker, default_worker, fork_is_safe
from derivcli.worker.process import run as run_in_worker


def run(
    request: BatchRequest, lines: Iterable[str | LongLine], receive: Callable[[BatchResult], None]
) -> BatchSummary:
    """Answer every line, handing each result to ``receive`` in input order; count how it went."""
    began = time.monotonic()
    ok = errors = internal = agree = explained = 0
    unexplained: list[str] = []
    jobs = default_jobs() if request.jobs is None else request.jobs
    for result in run_batch(lines, timeout=request.timeout, jobs=jobs):
        receive(result)
        if result.error is None:
            ok += 1
        else:
            errors += 1
            internal += result.error.kind is ErrorKind.INTERNAL
        for where, entry in result.rows():
            if entry.agree:
                agree += 1
            elif entry.explained:
                explained += 1
            else:
                unexplained.append(where)
    return BatchSummary(
        ok=ok,
        errors=errors,
        internal=internal,
        elapsed_s=time.monotonic() - began,
        agree=agree,
        explained=explained,
        unexplained=len(unexplained),
        unexplained_rows=tuple(unexplained[:UNEXPLAINED_SHOWN]),
    )


def default_jobs() -> int:
    """Worker processes for a batch: one per CPU, at most 4 (SymPy work does not share a process)."""
    return max(1, min(4, os.cpu_count() or 1))


def run_batch(
    lines: Iterable[str | LongLine], *, timeout: float = DEFAULT_TIMEOUT, jobs: int = 1
) -> Iterator[BatchResult]:
    """Answer each line in order; errors are results too, never exceptions.

    Lines are read here; each is computed in a worker process under
    ``timeout`` seconds of symbolic work, so that a line that would run forever
    costs its budget and the batch goes on. With ``jobs`` above 1, that many
    workers compute consecutive lines at once; answers still come in input
    order, each as soon as it and the lines before it are answered, and a line
    is never waited for while an earlier answer is ready.
    """
    if not fork_is_safe():
        for number, line in enumerate(lines, start=1):
            problem: Any = None
            try:
                problem = read_problem(line)
                limits = Limits.for_device(timeout, problem.get("device", "cpu"))
                report = run_in_worker(solve_line, problem, timeout, limits=limits)
            except Exception as error:  # noqa: BLE001 - a bug on one line must not lose the lines after it
                yield failed_result(number, problem, error)
                continue
            yield BatchResult(number, id_of(problem), has_id(problem), report, None)
        return
    yield from _run_in_workers(lines, timeout=timeout, jobs=jobs)


@dataclass(slots=True)
class _InFlight:
    """A line taken from the input and not yet answered: its problem and limits, then its answer."""

    number: int
    problem: Any = None
    error: Exception | None = None
    limits: Limits | None = None
    report: Report | None = None

    @property
    def answered(self) -> bool:
        """True once the line has its report or its error."""
        return self.report is not None or self.error is not None


class _InputFailed:
    """What the reader thread hands over when reading the input itself failed."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


#: Lines in flight per worker at most: answers computed ahead of an earlier, slower line wait in memory.
WINDOW_PER_JOB = 16
#: Most lines one worker holds: the next ones wait in its pipe, so that the worker goes straight on to
#: them instead of idling while this process takes its answers and writes them out.
LINES_PER_WORKER = 8
#: A worker is handed more lines once it holds this many or fewer, all that wait in one message: a
#: worker reads one message per few lines, not one per line.
REFILL_AT = 4


def _run_in_workers(lines: Iterable[str | LongLine], *, timeout: float, jobs: int) -> Iterator[BatchResult]:
    """run_batch with worker processes, answered in input order.

    Each worker holds up to ``LINES_PER_WORKER`` lines and answers them in
    turn, each under its own budget and with its own answer; lines go to the
    worker holding the fewest, once it is down to ``REFILL_AT``, as many at
    once as wait (one message per few lines, not per line; an idle worker
    takes even one line at once). So no worker idles while this process reads
    lines and writes answers: answers computed ahead wait, in order, in a
    window of at most ``WINDOW_PER_JOB`` lines per worker, and memory stays
    bounded. When a line runs out of time its worker is replaced, and the
    lines it held are handed out again.
    """
    if jobs > 1:
        # Imported once here, shared by every worker forked below (and by any that replaces one). One
        # worker imports them itself: this process stays light, as it does for every other command.
        importlib.import_module("derivcli.work.eval")
        # Kept out of this process's full collections while the answers stream through (freezing.py).
        freeze_libraries()
    # One worker is this process's own, whose caches and imports outlive the batch (for the next one).
    pool = [Worker() for _ in range(jobs)] if jobs > 1 else [default_worker()]
    for each in pool:
        # Forked before the reader thread starts, so no child inherits a lock that thread holds.
        each.start()
    incoming = _Handover()
    reader = threading.Thread(target=_read_all, args=(lines, incoming), daemon=True)
    reader.start()
    held: dict[Worker, collections.deque[_InFlight]] = {each: collections.deque() for each in pool}
    unhanded: collections.deque[_InFlight] = collections.deque()  # read, waiting for a worker, in order
    pending: collections.deque[_InFlight] = collections.deque()  # every line not yet given back, in order
    window = WINDOW_PER_JOB * jobs
    arrivals = _Arrivals(nap=parent_has_a_cpu(jobs, usable_cpus()))
    number = 0
    exhausted = False
    alone = 0  # lines to hand out one per message, after a message of several could not be sent

    def read_lines(*, block: bool) -> None:
        # Read lines while the window has room and the workers could take them; block for input only
        # when no answer is owed and the caller may wait, so that a pipeline sees each answer as soon
        # as it exists. Then hand them out together.
        nonlocal number, exhausted
        while not exhausted and len(pending) < window and len(unhanded) < LINES_PER_WORKER * jobs:
            try:
                line = incoming.get(block=block and not pending)
            except queue.Empty:
                break
            if line is None:
                exhausted = True
                break
            if isinstance(line, _InputFailed):
                raise line.error
            number += 1
            entry = _InFlight(number)
            pending.append(entry)
            try:
                entry.problem = read_problem(line)
                entry.limits = Limits.for_device(timeout, entry.problem.get("device", "cpu"))
            except Exception as error:  # noqa: BLE001 - answered in its turn, the batch goes on
                entry.error = error
                continue
            unhanded.append(entry)
        hand_out()

    def hand_out() -> None:
        # Give waiting lines, in order, to the worker holding the fewest, once it is down to REFILL_AT:
        # as many as it has room for (and that share its limits), in one message.
        nonlocal alone
        while unhanded:
            worker = min(pool, key=lambda each: len(held[each]))
            if len(held[worker]) > REFILL_AT:
                return
            group = [unhanded.popleft()]
            while not alone and unhanded and len(held[worker]) + len(group) < LINES_PER_WORKER:
                if unhanded[0].limits != group[0].limits:
                    break
                group.append(unhanded.popleft())
            alone = max(0, alone - 1)
            limits = group[0].limits
            assert limits is not None
            try:
                worker.submit_each(solve_line, [(entry.problem, timeout) for entry in group], limits=limits)
            except OSError:
                # The worker died holding lines: collecting them says why; these wait their turn.
                unhanded.extendleft(reversed(group))
                return
            except Exception as error:  # noqa: BLE001 - answered in its turn, the batch goes on
                if len(group) == 1:
                    group[0].error = error
                else:
                    # One of them cannot be sent: they go one at a time, so that only that one fails.
                    unhanded.extendleft(reversed(group))
                    alone = len(group)
                continue
            held[worker].extend(group)

    def hand_back(worker: Worker) -> None:
        # The worker was replaced: the lines it held but never answered go out again, first.
        lost = held[worker]
        while len(lost) > worker.outstanding:
            unhanded.appendleft(lost.pop())

    def take(worker: Worker, *, ready: bool) -> None:
        # The worker's next reply, for its oldest line; if the worker ended, the error is the line's it
        # was on, and the lines before it whose answers had not left it go out again with the rest.
        oldest = held[worker][0]
        assert oldest.limits is not None
        try:
            oldest.report = worker.collect(oldest.limits, ready=ready)
            held[worker].popleft()
        except Exception as error:  # noqa: BLE001 - a bug on one line must not lose the lines after it
            failed = held[worker][min(worker.lost, len(held[worker]) - 1)]
            failed.error = error
            held[worker].remove(failed)
        hand_back(worker)

    def gather(wait: float) -> None:
        # Collect every answer that has arrived (waiting up to ``wait`` for the first); stop the
        # lines whose budget ran out; hand the freed room new lines.
        for worker in arrivals.wait([each for each in pool if held[each]], wait):
            take(worker, ready=True)
            while held[worker] and worker.buffered():
                take(worker, ready=False)
        for worker in pool:
            if held[worker]:
                running = held[worker][min(worker.running(), len(held[worker]) - 1)]
                assert running.limits is not None
                running.error = worker.overdue(running.limits)
                if running.error is not None:
                    held[worker].remove(running)
                    hand_back(worker)
        hand_out()
        read_lines(block=False)

    try:
        while True:
            read_lines(block=True)
            if not pending:
                if exhausted:
                    return
                continue
            while pending and not pending[0].answered:
                gather(TICK_SECONDS)
            entry = pending.popleft()
            if entry.error is not None:
                yield failed_result(entry.number, entry.problem, entry.error)
            else:
                assert entry.report is not None
                yield BatchResult(
                    entry.number, id_of(entry.problem), has_id(entry.problem), entry.report, None
                )
    finally:
        for each in pool:
            # The process's own worker stays, unless the batch ended early with lines still in it.
            if each is not default_worker() or each.outstanding:
                each.close()


class _Arrivals:
    """Which workers have an answer (or their end) waiting: one poll object, kept from call to call.

    ``multiprocessing.connection.wait`` builds and fills a selector on every
    call, which is twice per line; here only the changes are registered.

    With ``nap`` (this process has a CPU that no worker needs), waiting
    first looks at the pipes every :data:`NAP_SECONDS` for up to
    :data:`NAP_WINDOW_SECONDS`, and only then sleeps on them. A worker whose
    answer wakes a process asleep on another CPU pays for the wake-up in its
    write (an interrupt sent to that CPU, on a virtual machine through the
    hypervisor): about a tenth of a repeated line's time. A nap ends by a
    timer on this process's own CPU, and the worker's write wakes no one.
    """

    def __init__(self, *, nap: bool = False) -> None:
        self._poll = select.poll()
        self._watched: set[int] = set()
        self._nap = nap

    def wait(self, workers: Iterable[Worker], seconds: float) -> list[Worker]:
        """Those of ``workers`` whose pipe can be read, waiting up to ``seconds`` for the first."""
        by_descriptor: dict[int, Worker] = {}
        for worker in workers:
            handle = worker.wait_handle()
            if handle is not None:
                by_descriptor[handle.fileno()] = worker
        for descriptor in self._watched - by_descriptor.keys():
            self._poll.unregister(descriptor)
        for descriptor in by_descriptor.keys() - self._watched:
            self._poll.register(descriptor, select.POLLIN)
        self._watched = set(by_descriptor)
        ready = self._poll.poll(0)
        if not ready and by_descriptor and seconds > 0:
            ready = self._nap_then_sleep(seconds) if self._nap else self._poll.poll(seconds * 1000)
        return [by_descriptor[descriptor] for descriptor, _ in ready if descriptor in by_descriptor]

    def _nap_then_sleep(self, seconds: float) -> list[tuple[int, int]]:
        """Poll between naps for the first part of ``seconds``, then sleep on the pipes for the rest."""
        began = time.monotonic()
        napping_until = began + min(seconds, NAP_WINDOW_SECONDS)
        while time.monotonic() < napping_until:
            time.sleep(NAP_SECONDS)
            ready = self._poll.poll(0)
            if ready:
                return ready
        left = seconds - (time.monotonic() - began)
        return self._poll.poll(max(0.0, left) * 1000)


#: How long waiting for an answer naps between looks at the workers' pipes (see _Arrivals).
NAP_SECONDS: Final = 0.0002
#: How long it naps before it sleeps until an answer wakes it: a few distinct lines' time.
NAP_WINDOW_SECONDS: Final = 0.02


def parent_has_a_cpu(jobs: int, cpus: int) -> bool:
    """True when ``jobs`` workers leave this process a CPU of its own (on ``cpus`` usable ones)."""
    return jobs < cpus


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system has one, else all)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return len(affinity(0))
    return os.cpu_count() or 1


_Item = str | LongLine | _InputFailed | None


class _Handover:
    """Lines from the reader thread to the scheduler: at most ``HIGH`` at once, handed over in bursts.

    A queue of a few lines wakes the reader for every line taken, and each
    wake-up costs this process a thread switch per line. Here the reader,
    once the buffer is full, sleeps until it has drained to ``LOW`` lines,
    and the scheduler is woken only when it waits for a line.
    """

    HIGH: Final = 64
    LOW: Final = 16

    def __init__(self) -> None:
        self._items: collections.deque[_Item] = collections.deque()
        self._changed = threading.Condition()
        self._reader_waits = False
        self._taker_waits = False

    def put(self, item: _Item) -> None:
        """Add an item, first waiting for the buffer to drain if it is full (in the reader thread)."""
        with self._changed:
            if len(self._items) >= self.HIGH:
                self._reader_waits = True
                while len(self._items) > self.LOW:
                    self._changed.wait()
                self._reader_waits = False
            self._items.append(item)
            if self._taker_waits:
                self._changed.notify_all()

    def get(self, *, block: bool) -> _Item:
        """The next item; without ``block``, queue.Empty when there is none yet."""
        with self._changed:
            while not self._items:
                if not block:
                    raise queue.Empty
                self._taker_waits = True
                self._changed.wait()
                self._taker_waits = False
            item = self._items.popleft()
            if self._reader_waits and len(self._items) <= self.LOW:
                self._changed.notify_all()
            return item


def _read_all(lines: Iterable[str | LongLine], incoming: _Handover) -> None:
    """Feed every line to the scheduler, then None (runs in a thread, so reading never blocks answering)."""
    try:
        for line in lines:
            incoming.put(line)
    except BaseException as error:  # noqa: BLE001 - handed to the main thread, which reports it
        incoming.put(_InputFailed(error))
    finally:
        incoming.put(None)


#: Parsed expressions of the batch, by text (in the worker, which serves the whole batch).
_PARSED: SizedCache[str, ParsedExpression] = SizedCache(len)


def solve_line(problem: Mapping[str, Any], timeout: float) -> Report:
    """Read one line and compare both witnesses as ``deriv partial --json`` would (run in the worker)."""
    from derivcli.core.symbolic import speedups
    from derivcli.work import eval as evaluate

    # A batch builds new numbers on every line: SymPy's work on them made cheaper, in this worker only.
    speedups.install()
    return evaluate.run(line_request(problem, timeout=timeout, parsed=_PARSED))
