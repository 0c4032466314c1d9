"""``deriv batch``: one problem per JSON line in, one result per line out, in one process.

Each line is ``{"expr": "...", "at": {"x": 3}}`` with optional ``wrt``,
``order``, ``device``, ``dtype`` and ``id``. It runs exactly as ``deriv
partial --json`` would; a line that cannot be read or computed becomes an
error result and the batch goes on. Parsed expressions, symbolic derivatives
and torch translations are cached, so a repeated expression costs only its
evaluation. Nothing here prints.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TextIO

from derivcli import worker
from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing import ParsedExpression, PointSpec, parse_expression, parse_point
from derivcli.plan import DEFAULT_TIMEOUT, DTYPE_NAMES, Mode, Plan, check_device, make_plan, split_names

if TYPE_CHECKING:
    from derivcli.results import Report

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


def run_batch(lines: Iterable[str | LongLine], *, timeout: float = DEFAULT_TIMEOUT) -> Iterator[BatchResult]:
    """Answer each line in order; errors are results too, never exceptions.

    Lines are read and parsed here; each is computed in the worker process
    under ``timeout`` seconds of symbolic work, so that one line that would
    run forever costs its budget and the batch goes on.
    """
    parsed: dict[str, ParsedExpression] = {}
    for number, line in enumerate(lines, start=1):
        problem: Any = None
        try:
            if isinstance(line, LongLine):
                raise _too_long(line.length)
            problem = _read_line(line)
            plan, device, dtype = _plan(problem, parsed)
            memory = worker.DEFAULT_MEMORY if device == "cpu" else None
            report = worker.run(
                _compare, plan, device, dtype, limits=worker.Limits(seconds=timeout, memory_bytes=memory)
            )
        except DerivError as error:
            yield BatchResult(number, _id_of(problem), _has_id(problem), None, error)
            continue
        except Exception as error:  # noqa: BLE001 - a bug on one line must not lose the lines after it
            bug = DerivError(ErrorKind.INTERNAL, f"internal error: {type(error).__name__}: {error}")
            yield BatchResult(number, _id_of(problem), _has_id(problem), None, bug)
            continue
        yield BatchResult(number, _id_of(problem), _has_id(problem), report, None)


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


def _compare(plan: Plan, device: str, dtype: str) -> Report:
    """Both witnesses on one problem's plan (run in the worker, whose caches serve the whole batch)."""
    from derivcli.compare import Options, compare

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
