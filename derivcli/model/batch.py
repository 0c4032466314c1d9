"""``deriv batch``: the checked request, each input line read into a request of its own, and the results.

A line is ``{"expr": "...", "at": {"x": 3}}`` with optional ``wrt``,
``order``, ``device``, ``dtype`` and ``id``; it is read exactly as ``deriv
partial`` reads its options. Nothing here imports SymPy or torch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final, TextIO

from derivcli.errors import DerivError, ErrorKind, internal_message
from derivcli.model.eval import DerivativeEntry, EvalRequest, Report
from derivcli.model.files import check_outputs
from derivcli.model.plan import make_plan, split_names
from derivcli.model.setup import DEFAULT_TIMEOUT, DType, Mode, Setup, check_device, check_timeout
from derivcli.model.text import format_number, point_label
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import PointSpec, parse_point
from derivcli.parsing.tree import ParsedExpression

#: How many unexplained rows the summary of a batch lists.
UNEXPLAINED_SHOWN: Final = 10
KEYS: Final = ("expr", "at", "wrt", "order", "device", "dtype", "bits", "id")
#: Lines longer than this are refused before JSON parsing (an expression is at most 10,000 characters).
MAX_LINE: Final = 100_000
#: Deepest nesting of arrays and objects in a line (a list of points is three deep).
MAX_NESTING: Final = 16
#: Most worker processes of one deriv batch.
MAX_JOBS: Final = 64


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """A checked ``deriv batch`` run: where lines come from and go, each line's budget, how many workers."""

    source: str = "-"
    output: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    jobs: int | None = None


def batch_request(*, source: str, output: str | None, timeout: float, jobs: int | None) -> BatchRequest:
    """Check the budget and the number of workers, or raise DerivError."""
    check_timeout(timeout)
    if jobs is not None and not 1 <= jobs <= MAX_JOBS:
        raise DerivError(ErrorKind.BAD_OPTION, f"--jobs must be from 1 to {MAX_JOBS}, got {jobs}")
    if output is not None:
        check_outputs([("--output", output)], inputs=[("FILE", source)])
    return BatchRequest(source=source, output=output, timeout=timeout, jobs=jobs)


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """How a whole batch went: lines answered, lines that were errors (and bugs), and the time taken."""

    ok: int
    errors: int
    internal: int
    elapsed_s: float
    #: Rows (a derivative at a point) that agree, disagree for a reason a note gives, or disagree unexplained.
    agree: int = 0
    explained: int = 0
    unexplained: int = 0
    #: The first unexplained rows, as "line 3, x=2, d/dx: autograd 1.5, symbolic 2".
    #: (Kept to :data:`UNEXPLAINED_SHOWN`.)
    unexplained_rows: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """Every derivative at every point of every answered line."""
        return self.agree + self.explained + self.unexplained

    @property
    def lines(self) -> int:
        """Every line read."""
        return self.ok + self.errors


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

    def rows(self) -> Iterator[tuple[str, DerivativeEntry]]:
        """Each derivative at each point of the answer, with where it is and both values, in words."""
        if self.report is None:
            return
        for point in self.report.points:
            for name, entry in point.derivatives.items():
                yield (
                    (
                        f"line {self.line}, {point_label(point.at_input)}, d/d{name}: autograd"
                        f" {format_number(entry.autograd)}, symbolic {format_number(entry.symbolic_value)}"
                    ),
                    entry,
                )


def read_problem(line: str | LongLine) -> dict[str, Any]:
    """The problem of one input line, or the DerivError that answers it."""
    if isinstance(line, LongLine):
        raise _too_long(line.length)
    return _read_line(line)


def failed_result(number: int, problem: Any, error: Exception) -> BatchResult:
    """A line's error result; anything but a DerivError is a bug in deriv, reported as one."""
    if not isinstance(error, DerivError):
        error = DerivError(ErrorKind.INTERNAL, internal_message(error))
    return BatchResult(number, id_of(problem), has_id(problem), None, error)


def id_of(problem: Any) -> Any:
    """The line's "id", or None."""
    return problem.get("id") if isinstance(problem, dict) else None


def has_id(problem: Any) -> bool:
    """True when the line has an "id" (which may be null)."""
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
    depth = _nesting(problem)
    if depth > MAX_NESTING:
        # Deep values cannot cross to the worker or back (pickling and writing recurse).
        raise DerivError(
            ErrorKind.BAD_LINE,
            f"the line nests arrays and objects {depth:,} deep; the limit is {MAX_NESTING}",
        )
    if not isinstance(problem, dict):
        raise DerivError(ErrorKind.BAD_LINE, f"the line is a JSON {type(problem).__name__}, not an object")
    if "id" in problem and not _finite(problem["id"]):
        # json reads 1e400 as inf: the answer could not echo it in strict JSON.
        raise DerivError(
            ErrorKind.BAD_LINE, '"id" holds a number beyond float64\'s range, which strict JSON cannot hold'
        )
    unknown = [key for key in problem if key not in KEYS]
    if unknown:
        raise DerivError(ErrorKind.BAD_LINE, f"unknown key {unknown[0]!r}; the keys are {', '.join(KEYS)}")
    if not isinstance(problem.get("expr"), str):
        raise DerivError(ErrorKind.BAD_LINE, 'the line needs "expr", the expression as a string')
    return problem


def _nesting(value: object) -> int:
    """How deeply arrays and objects nest in a JSON value (a number or string is 0 deep)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        else:
            continue
        deepest = max(deepest, depth + 1)
    return deepest


def _finite(value: object) -> bool:
    """False when a JSON value holds a float that is not finite (json reads 1e400 as inf)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _too_long(length: int) -> DerivError:
    return DerivError(
        ErrorKind.TOO_LONG, f"the line is {length:,} characters long; the limit is {MAX_LINE:,}"
    )


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def line_request(
    problem: Mapping[str, Any], *, timeout: float, parsed: MutableMapping[str, ParsedExpression]
) -> EvalRequest:
    """One line's request, read as ``deriv partial`` reads its options (no heavy imports).

    ``parsed`` caches parsed expressions by text across the lines of a batch.
    """
    text = problem["expr"]
    expression = parsed.get(text)
    if expression is None:
        expression = parse_expression(text)
        parsed[text] = expression
    device = check_device(_string(problem, "device", "cpu"))
    dtype = DType.named(_string(problem, "dtype", "float64"), option='"dtype"')
    order = problem.get("order", 1)
    if not isinstance(order, int) or isinstance(order, bool):
        raise DerivError(ErrorKind.BAD_LINE, f'"order" must be a whole number, got {order!r}')
    bits = problem.get("bits", False)
    if not isinstance(bits, bool):
        raise DerivError(ErrorKind.BAD_LINE, f'"bits" must be true or false, got {bits!r}')
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
    return EvalRequest(
        plan=plan, setup=Setup(device=device, dtype=dtype, timeout=timeout), mode=Mode.PARTIAL, bits=bits
    )


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
