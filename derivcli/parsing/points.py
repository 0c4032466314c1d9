"""Point and range values of the command line: ``--at u=1,v=2``, ``--range x=-pi:pi:100``, counts.

Each value is a constant expression; errors about a value are re-anchored to
the whole option text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.grammar import name_problem, parse_expression
from derivcli.parsing.lexer import to_ascii
from derivcli.parsing.tree import ParsedExpression


@dataclass(frozen=True, slots=True)
class Assignment:
    """One ``name=value`` of a point; ``name`` is None for a bare value (``--at 3``).

    ``spec`` is the whole option text (of ``--at``, or ``--range`` for ``deriv grid``)
    and ``offset`` where the value starts in it, so that later errors about the
    value can point into what the user typed.
    """

    name: str | None
    value: ParsedExpression
    spec: str
    offset: int
    option: str = "--at"

    @property
    def text(self) -> str:
        """The value as typed, without surrounding blanks."""
        return self.value.text.strip()

    @property
    def names(self) -> tuple[str, ...]:
        """The names a symbolic value is written in (``a`` in ``x=2*a``); empty for a number."""
        return self.value.variables

    def refuse(self, kind: ErrorKind, name: str, reason: str) -> DerivError:
        """An error about this value, e.g. ``x=1e39 overflows float32``, pointing at it in ``--at``."""
        leading_blanks = len(self.value.text) - len(self.value.text.lstrip())
        return DerivError(
            kind,
            f"{name}={self.text} {reason} in {self.option} {self.spec!r}",
            source=self.spec,
            column=self.offset + leading_blanks + 1,
            length=len(self.text),
        )


@dataclass(frozen=True, slots=True)
class PointSpec:
    """A point as given on the command line, e.g. ``u=1,v=2``."""

    text: str
    assignments: tuple[Assignment, ...]


def parse_point(text: str, *, symbolic: bool = False) -> PointSpec:
    """Parse a ``--at`` value: ``3``, ``x=pi/4`` or ``u=1,v=2``.

    Values are constants; with ``symbolic``, a value may also be written in
    names (``x=a``, ``x=2*a+1``): a symbolic point.
    """
    to_ascii(text, "--at")
    items = _split_top_level_commas(text)
    assignments: list[Assignment] = []
    seen: set[str] = set()
    for start, item in items:
        match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)", item, re.DOTALL)
        if match is None:
            if len(items) > 1 or "=" in item:
                raise DerivError(
                    ErrorKind.BAD_POINT,
                    f"expected name=value in --at {text!r}",
                    source=text,
                    column=start + 1,
                    length=max(1, len(item)),
                )
            value = _parse_point_value(text, item, start, symbolic=symbolic)
            assignments.append(Assignment(None, value, text, start))
            continue
        name = match.group(1)
        name_column = start + match.start(1) + 1
        _check_variable_name(name, source=text, column=name_column)
        if name in seen:
            raise DerivError(
                ErrorKind.BAD_POINT,
                f"{name} is given twice in --at {text!r}",
                source=text,
                column=name_column,
                length=len(name),
            )
        seen.add(name)
        offset = start + match.start(2)
        value = _parse_point_value(text, match.group(2), offset, symbolic=symbolic)
        assignments.append(Assignment(name, value, text, offset))
    return PointSpec(text=text, assignments=tuple(assignments))


@dataclass(frozen=True, slots=True)
class RangeSpec:
    """A ``--range`` of ``deriv grid``: ``x=-10:10``, or ``x=-10:10:1000`` with its own count."""

    text: str
    name: str
    start: Assignment
    stop: Assignment
    num: int | None


#: Most points along one axis, and in a whole grid (beyond this a run takes days).
MAX_GRID_POINTS: Final = 10**12

_COUNT: Final = re.compile(r"\s*(\d(?:_?\d)*)(?:[eE]\+?(\d{1,2}))?\s*")


def parse_count(text: str, *, option: str, source: str | None = None, offset: int = 0) -> int:
    """A number of points: a positive integer, also written ``1e8`` or ``1_000_000``."""
    match = _COUNT.fullmatch(text)
    source = text if source is None else source
    where = f"in {option} {source!r}" if source != text else f"for {option}"

    def refuse(message: str) -> DerivError:
        return DerivError(
            ErrorKind.BAD_RANGE if option == "--range" else ErrorKind.BAD_OPTION,
            message,
            source=source,
            column=offset + len(text) - len(text.lstrip()) + 1,
            length=max(1, len(text.strip())),
        )

    if match is None:
        raise refuse(f"expected a whole number of points {where}, got {text.strip()!r}")
    count: int = int(match.group(1).replace("_", "")) * 10 ** int(match.group(2) or 0)
    if not 1 <= count <= MAX_GRID_POINTS:
        raise refuse(
            f"the number of points {where} must be from 1 to {MAX_GRID_POINTS:.0e}, got {text.strip()}"
        )
    return count


def parse_range(text: str) -> RangeSpec:
    """Parse a ``--range`` value: ``x=START:STOP`` or ``x=START:STOP:NUM`` (constants, e.g. ``-pi:pi``)."""
    to_ascii(text, "--range")
    match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)", text, re.DOTALL)
    if match is None:
        raise DerivError(
            ErrorKind.BAD_RANGE,
            f"expected name=start:stop in --range {text!r}, e.g. --range x=-10:10",
            source=text,
            column=1,
            length=max(1, len(text)),
        )
    name = match.group(1)
    _check_variable_name(name, source=text, column=match.start(1) + 1)
    body_offset = match.start(2)
    pieces: list[tuple[int, str]] = []
    start = body_offset
    for index in range(body_offset, len(text) + 1):
        if index == len(text) or text[index] == ":":
            pieces.append((start, text[start:index]))
            start = index + 1
    if len(pieces) not in (2, 3):
        raise DerivError(
            ErrorKind.BAD_RANGE,
            f"expected {name}=start:stop or {name}=start:stop:num in --range {text!r}",
            source=text,
            column=body_offset + 1,
            length=max(1, len(text) - body_offset),
        )
    ends = [
        Assignment(
            name,
            _parse_point_value(text, piece, offset, option="--range", what=label),
            text,
            offset,
            option="--range",
        )
        for (offset, piece), label in zip(pieces[:2], ("range start", "range stop"), strict=True)
    ]
    num = None
    if len(pieces) == 3:
        num = parse_count(pieces[2][1], option="--range", source=text, offset=pieces[2][0])
    return RangeSpec(text=text, name=name, start=ends[0], stop=ends[1], num=num)


#: Where a value written in names is accepted.
SYMBOLIC_POINT_HINT: Final = "a symbolic point such as --at x=a is for 'deriv eval' and 'deriv partial'"


def _parse_point_value(
    spec: str,
    value_text: str,
    offset: int,
    *,
    option: str = "--at",
    what: str = "point value",
    symbolic: bool = False,
) -> ParsedExpression:
    """Parse one value of an option, re-anchoring any error to the whole option text.

    A constant is parsed first, so that ``inf`` and ``nan`` are still refused
    as numbers; a value that fails only for naming a variable is a symbolic
    point where those are accepted.
    """
    try:
        return parse_expression(value_text, what=what, allow_variables=False)
    except DerivError as error:
        if error.kind is not ErrorKind.BAD_POINT:
            raise reanchor(error, spec=spec, offset=offset, option=option) from None
        refused = error
    # Refused for naming a variable: a symbolic point where those are welcome, else a hint where they are.
    try:
        named = parse_expression(value_text, what=what)
    except DerivError as error:
        raise reanchor(error if symbolic else refused, spec=spec, offset=offset, option=option) from None
    if symbolic:
        return named
    hint = SYMBOLIC_POINT_HINT if option == "--at" else None
    raise reanchor(refused, spec=spec, offset=offset, option=option, hint=hint) from None


def reanchor(
    error: DerivError, *, spec: str, offset: int, option: str = "--at", hint: str | None = None
) -> DerivError:
    """Move an error about a value into the coordinates of the whole option text (``--at``, ``--range``).

    ``hint`` replaces the error's own hint when given.
    """
    column = None if error.column is None else error.column + offset
    return DerivError(
        error.kind,
        f"{error.message} in {option} {spec!r}",
        source=spec,
        column=column,
        length=error.length,
        hint=error.hint if hint is None else hint,
    )


def _check_variable_name(name: str, *, source: str, column: int) -> None:
    """Refuse names that cannot be variables: functions, constants, keywords, dunders."""
    problem = name_problem(name)
    if problem is not None:
        kind, message = problem
        raise DerivError(kind, message, source=source, column=column, length=len(name))


def split_components(text: str) -> list[tuple[int, str]]:
    """A comma-separated list of expressions split at top-level commas (``atan2(y, x)`` stays whole)."""
    return _split_top_level_commas(text)


def _split_top_level_commas(text: str) -> list[tuple[int, str]]:
    """Split at commas outside parentheses, keeping each piece's start offset."""
    pieces: list[tuple[int, str]] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            pieces.append((start, text[start:index]))
            start = index + 1
    pieces.append((start, text[start:]))
    return pieces
