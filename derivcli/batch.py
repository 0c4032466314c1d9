"""``deriv batch``: one problem per JSON line in, one result per line out, in one process.

Each line is ``{"expr": "...", "at": {"x": 3}}`` with optional ``wrt``,
``order``, ``device``, ``dtype`` and ``id``. It runs exactly as ``deriv
partial --json`` would; a line that cannot be read or computed becomes an
error result and the batch goes on. Parsed expressions, symbolic derivatives
and torch translations are cached, so a repeated expression costs only its
evaluation. Nothing here prints.
"""

from __future__ import annotations

import collections
import importlib
import json
import math
import os
import queue
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TextIO

from derivcli import worker
from derivcli.errors import DerivError, ErrorKind, internal_message
from derivcli.model.plan import DEFAULT_TIMEOUT, DTYPE_NAMES, Mode, Plan, check_device, make_plan, split_names
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import PointSpec, parse_point
from derivcli.parsing.tree import ParsedExpression

if TYPE_CHECKING:
    from derivcli.model.eval import Report

KEYS: Final = ("expr", "at", "wrt", "order", "device", "dtype", "id")
#: Lines longer than this are refused before JSON parsing (an expression is at most 10,000 characters).
MAX_LINE: Final = 100_000


@dataclass(frozen=True, slots=True)
class LongLine:
    """A line longer than :data:`MAX_LINE`, read past without keeping it (only its length)."""

    length: int


def bounded_lines(stream: TextIO, *, limit: int = MAX_LINE) -> Iterator[str | LongLine]:
    """The stream's lines without their newlines; a line over ``limit`` characters is never held whole.

    A line of gigabytes with no newline would otherwise be read into memory
    before its length could be checked.
    """
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith("\n"):
            yield line.removesuffix("\n")
            continue
        length = len(line)
        while not line.endswith("\n"):
            line = stream.readline(2**16)
            if not line:
                break
            length += len(line)
        yield LongLine(length - line.endswith("\n"))


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One input line's outcome: its number, its id (if given), and a report or an error."""

    line: int
    id: Any
    has_id: bool
    report: Report | None
    error: DerivError | None


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
    if jobs <= 1 or not worker.fork_is_safe():
        for number, line in enumerate(lines, start=1):
            problem: Any = None
            try:
                problem = _problem(line)
                limits = worker.Limits.for_device(timeout, problem.get("device", "cpu"))
                report = worker.run(_solve, problem, limits=limits)
            except Exception as error:  # noqa: BLE001 - a bug on one line must not lose the lines after it
                yield _failed(number, problem, error)
                continue
            yield BatchResult(number, _id_of(problem), _has_id(problem), report, None)
        return
    yield from _run_parallel(lines, timeout=timeout, jobs=jobs)


@dataclass(slots=True)
class _InFlight:
    """A line taken from the input and not yet answered: its worker, or the error that answers it."""

    number: int
    problem: Any = None
    computing: worker.Worker | None = None
    error: Exception | None = None
    limits: worker.Limits | None = None


class _InputFailed:
    """What the reader thread hands over when reading the input itself failed."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _run_parallel(lines: Iterable[str | LongLine], *, timeout: float, jobs: int) -> Iterator[BatchResult]:
    """run_batch with several workers: a window of consecutive lines in flight, answered in order."""
    # Imported once here, shared by every worker forked below (and by any that replaces one).
    importlib.import_module("derivcli.core.compare")
    pool = [worker.Worker() for _ in range(jobs)]
    for each in pool:
        # Forked before the reader thread starts, so no child inherits a lock that thread holds.
        each.start()
    incoming: queue.Queue[str | LongLine | _InputFailed | None] = queue.Queue(maxsize=4 * jobs)
    reader = threading.Thread(target=_read_all, args=(lines, incoming), daemon=True)
    reader.start()
    free = list(pool)
    pending: collections.deque[_InFlight] = collections.deque()
    number = 0
    exhausted = False

    def take_lines(*, block: bool) -> None:
        # Give waiting lines to free workers; block for input only when no answer is owed and
        # the caller may wait, so that a pipeline sees each answer as soon as it exists.
        nonlocal number, exhausted
        while free and not exhausted:
            try:
                line = incoming.get(block=block and not pending)
            except queue.Empty:
                return
            if line is None:
                exhausted = True
                return
            if isinstance(line, _InputFailed):
                raise line.error
            number += 1
            entry = _InFlight(number)
            pending.append(entry)
            try:
                entry.problem = _problem(line)
                entry.limits = worker.Limits.for_device(timeout, entry.problem.get("device", "cpu"))
                entry.computing = free.pop()
                entry.computing.submit(_solve, entry.problem, limits=entry.limits)
            except Exception as error:  # noqa: BLE001 - answered in its turn, the batch goes on
                entry.error = error

    def between_waits() -> None:
        # While the oldest line is awaited, the other lines' budgets still run out, and lines that
        # arrive meanwhile go to idle workers.
        for entry in pending:
            if entry.computing is not None and entry.limits is not None and entry.error is None:
                entry.error = entry.computing.overdue(entry.limits)
        take_lines(block=False)

    try:
        while True:
            take_lines(block=True)
            if not pending:
                if exhausted:
                    return
                continue
            entry = pending.popleft()
            try:
                if entry.error is not None:
                    yield _failed(entry.number, entry.problem, entry.error)
                    continue
                assert entry.computing is not None
                assert entry.limits is not None
                try:
                    report = entry.computing.collect(entry.limits, tick=between_waits)
                except Exception as error:  # noqa: BLE001 - a bug on one line must not lose the lines after it
                    yield _failed(entry.number, entry.problem, error)
                else:
                    yield BatchResult(
                        entry.number, _id_of(entry.problem), _has_id(entry.problem), report, None
                    )
            finally:
                if entry.computing is not None:
                    free.append(entry.computing)
    finally:
        for each in pool:
            each.close()


def _read_all(
    lines: Iterable[str | LongLine], incoming: queue.Queue[str | LongLine | _InputFailed | None]
) -> None:
    """Feed every line to the queue, then None (runs in a thread, so reading never blocks answering)."""
    try:
        for line in lines:
            incoming.put(line)
    except BaseException as error:  # noqa: BLE001 - handed to the main thread, which reports it
        incoming.put(_InputFailed(error))
    finally:
        incoming.put(None)


def _problem(line: str | LongLine) -> dict[str, Any]:
    """The problem of one input line, or the DerivError that answers it."""
    if isinstance(line, LongLine):
        raise _too_long(line.length)
    return _read_line(line)


def _failed(number: int, problem: Any, error: Exception) -> BatchResult:
    """A line's error result; anything but a DerivError is a bug in deriv, reported as one."""
    if not isinstance(error, DerivError):
        error = DerivError(ErrorKind.INTERNAL, internal_message(error))
    return BatchResult(number, _id_of(problem), _has_id(problem), None, error)


def _id_of(problem: Any) -> Any:
    return problem.get("id") if isinstance(problem, dict) else None


def _has_id(problem: Any) -> bool:
    return isinstance(problem, dict) and "id" in problem


def _read_line(line: str) -> dict[str, Any]:
    """The line's JSON object, with only known keys and an expression."""
    if len(line) > MAX_LINE:
        raise _too_long(len(line))
    if not line.strip():
        raise DerivError(
            ErrorKind.BAD_LINE,
            'the line is empty; expected a JSON object such as {"expr": "x**2", "at": {"x": 3}}',
        )
    try:
        problem = json.loads(line, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise DerivError(ErrorKind.BAD_LINE, f"the line is not JSON: {error}") from None
    if not isinstance(problem, dict):
        raise DerivError(ErrorKind.BAD_LINE, f"the line is a JSON {type(problem).__name__}, not an object")
    unknown = [key for key in problem if key not in KEYS]
    if unknown:
        raise DerivError(ErrorKind.BAD_LINE, f"unknown key {unknown[0]!r}; the keys are {', '.join(KEYS)}")
    if not isinstance(problem.get("expr"), str):
        raise DerivError(ErrorKind.BAD_LINE, 'the line needs "expr", the expression as a string')
    return problem


def _too_long(length: int) -> DerivError:
    return DerivError(
        ErrorKind.TOO_LONG, f"the line is {length:,} characters long; the limit is {MAX_LINE:,}"
    )


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _plan(problem: Mapping[str, Any], parsed: dict[str, ParsedExpression]) -> tuple[Plan, str, str]:
    """One problem's plan, device and dtype, as ``deriv partial`` would read them (no heavy imports)."""
    text = problem["expr"]
    expression = parsed.get(text)
    if expression is None:
        expression = parse_expression(text)
        if len(parsed) < 10_000:
            parsed[text] = expression
    device = _string(problem, "device", "cpu")
    check_device(device)
    dtype = _string(problem, "dtype", "float64")
    if dtype not in DTYPE_NAMES:
        raise DerivError(
            ErrorKind.BAD_OPTION, f'"dtype" must be one of {", ".join(DTYPE_NAMES)}, got {dtype!r}'
        )
    order = problem.get("order", 1)
    if not isinstance(order, int) or isinstance(order, bool):
        raise DerivError(ErrorKind.BAD_LINE, f'"order" must be a whole number, got {order!r}')
    wrt = problem.get("wrt", [])
    if isinstance(wrt, str):
        wrt = [wrt]
    if not isinstance(wrt, list) or not all(isinstance(name, str) for name in wrt):
        raise DerivError(ErrorKind.BAD_LINE, '"wrt" must be a variable name or a list of them')
    plan = make_plan(
        mode=Mode.PARTIAL,
        expression=expression,
        points=_points(problem.get("at", [])),
        wrt=split_names(wrt, option="wrt"),
        order=order,
    )
    return plan, device, dtype


#: Parsed expressions of the batch, by text (in the worker, which serves the whole batch).
_PARSED: dict[str, ParsedExpression] = {}


def _solve(problem: Mapping[str, Any]) -> Report:
    """Plan and compare one problem, as ``deriv partial --json`` would (run in the worker)."""
    from derivcli.core.compare import Options, compare

    plan, device, dtype = _plan(problem, _PARSED)
    return compare(plan, Options(device=device, dtype=dtype))


def _string(problem: Mapping[str, Any], key: str, default: str) -> str:
    value = problem.get(key, default)
    if not isinstance(value, str):
        raise DerivError(ErrorKind.BAD_LINE, f"{key!r} must be a string, got {value!r}")
    return value


def _points(at: Any) -> list[PointSpec]:
    """ "at" as one point or a list of points; each point an object of values, or one bare value."""
    items = at if isinstance(at, list) else [at]
    return [parse_point(_point_text(item)) for item in items]


def _point_text(item: Any) -> str:
    """A point in ``--at`` syntax: values are numbers or constant expressions as strings."""
    if isinstance(item, dict):
        return ",".join(f"{name}={_value_text(name, value)}" for name, value in item.items())
    return _value_text("at", item)


def _value_text(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DerivError(
            ErrorKind.BAD_POINT, f"the value of {name} must be a number or a string, got {value!r}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise DerivError(ErrorKind.BAD_POINT, f"the value of {name} is not a finite number")
    # repr is the shortest text that reads back as the same float, so the point is that float exactly.
    return value if isinstance(value, str) else repr(value)
