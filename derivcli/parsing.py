"""Safe parsing of expressions and point values into a small immutable tree.

The text is untrusted. It is mapped to ASCII, tokenised for implicit
multiplication, parsed by :func:`ast.parse` in ``eval`` mode (which only builds
a tree and runs nothing) and walked against an allow-list. Nothing here
imports SymPy or torch, so refusing bad input stays fast.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import re
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, TypeAlias

from derivcli.errors import DerivError, ErrorKind

#: Known functions and how many arguments each takes (minimum, maximum or None).
FUNCTION_ARITY: Final[Mapping[str, tuple[int, int | None]]] = {
    "sin": (1, 1),
    "cos": (1, 1),
    "tan": (1, 1),
    "asin": (1, 1),
    "acos": (1, 1),
    "atan": (1, 1),
    "atan2": (2, 2),
    "sinh": (1, 1),
    "cosh": (1, 1),
    "tanh": (1, 1),
    "asinh": (1, 1),
    "acosh": (1, 1),
    "atanh": (1, 1),
    "exp": (1, 1),
    "log": (1, 2),
    "sqrt": (1, 1),
    "abs": (1, 1),
    "erf": (1, 1),
    "sigmoid": (1, 1),
    "relu": (1, 1),
    "softplus": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "heaviside": (1, 1),
}

#: Names of constants; ``e`` is an alias of ``E``.
CONSTANT_NAMES: Final[Mapping[str, str]] = {"pi": "pi", "E": "E", "e": "E"}

#: Non-ASCII characters read as ASCII; every other non-ASCII character is refused.
CHARACTER_MAP: Final[Mapping[str, str]] = {
    "\u2212": "-",  # MINUS SIGN
    "\u00d7": "*",  # MULTIPLICATION SIGN
    "\u00b7": "*",  # MIDDLE DOT
    "\u22c5": "*",  # DOT OPERATOR
    "\u00b2": "**2",  # SUPERSCRIPT TWO
    "\u00b3": "**3",  # SUPERSCRIPT THREE
}

MAX_EXPRESSION_LENGTH: Final = 10_000
MAX_DEPTH: Final = 100
#: Distinct variables of one expression (a Hessian of 100 variables already has 10,000 entries).
MAX_VARIABLES: Final = 100
MAX_SIGNIFICANT_DIGITS: Final = 1_000
#: Exact integers and rationals larger than this many bits are refused (about 30,000 digits).
MAX_EXACT_BITS: Final = 100_000
# Literals must be finite, non-zero-rounding float64 values; these bounds on the
# decimal exponent are checked before any big integer is built.
_MAX_DECIMAL_MAGNITUDE: Final = 310
_MIN_DECIMAL_MAGNITUDE: Final = -325
_SUPERSCRIPTS: Final = frozenset({"\u00b2", "\u00b3"})
_PARSER_RECURSION_LIMIT: Final = 4 * MAX_EXPRESSION_LENGTH


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric literal, kept exact."""

    value: Fraction
    text: str
    column: int


@dataclass(frozen=True, slots=True)
class Constant:
    """A named constant: ``pi`` or ``E``."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Variable:
    """A variable (every variable is real)."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    operand: Node
    column: int


@dataclass(frozen=True, slots=True)
class Sum:
    """``a + b - c``: each term with a flag saying whether it is subtracted."""

    terms: tuple[tuple[bool, Node], ...]
    column: int


@dataclass(frozen=True, slots=True)
class Product:
    """``a * b / c``: each factor with a flag saying whether it divides."""

    factors: tuple[tuple[bool, Node], ...]
    column: int


@dataclass(frozen=True, slots=True)
class Power:
    """``base ** exponent`` (also written ``base ^ exponent``)."""

    base: Node
    exponent: Node
    column: int
    text: str


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a known function."""

    name: str
    args: tuple[Node, ...]
    column: int


Node: TypeAlias = Number | Constant | Variable | Negate | Sum | Product | Power | Call


@dataclass(frozen=True, slots=True)
class ParsedExpression:
    """An expression as typed and as parsed; variables in order of first appearance."""

    text: str
    tree: Node
    variables: tuple[str, ...]


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


_TOKEN: Final = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<number>(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?)"
    r"|(?P<caret>\^)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_NON_FINITE_NAMES: Final = frozenset({"inf", "infinity", "nan", "oo", "zoo"})
_NON_DECIMAL_LITERAL: Final = re.compile(r"0[xXoObB][0-9A-Za-z]")

_CONSTRUCT_NAMES: Final[Mapping[type, str]] = {
    ast.Attribute: "attribute access is",
    ast.Subscript: "subscripts are",
    ast.Slice: "slices are",
    ast.Lambda: "lambda expressions are",
    ast.IfExp: "conditional expressions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "boolean operators are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "generator expressions are",
    ast.List: "lists are",
    ast.Tuple: "tuples (top-level commas) are",
    ast.Set: "sets are",
    ast.Dict: "dictionaries are",
    ast.Starred: "starred expressions are",
    ast.NamedExpr: "assignment expressions are",
    ast.JoinedStr: "f-strings are",
    ast.FormattedValue: "f-strings are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
}

_OPERATOR_TEXT: Final[Mapping[type, str]] = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Not: "not",
    ast.Invert: "~",
}


def describe_character(char: str) -> str:
    """Name a character by code point and Unicode name, e.g. ``U+0445 CYRILLIC SMALL LETTER HA``."""
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code


def parse_expression(
    text: str, *, what: str = "expression", allow_variables: bool = True
) -> ParsedExpression:
    """Parse untrusted text into a :class:`ParsedExpression`, or raise :class:`DerivError`."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise DerivError(
            ErrorKind.TOO_LONG,
            f"{what} is {len(text):,} characters long; the limit is {MAX_EXPRESSION_LENGTH:,}",
        )
    ascii_text, origin = _to_ascii(text, what)
    code, code_origin = _tokenise(text, ascii_text, origin, what)
    # Leading blanks would read as an indent: drop them, keeping the column map aligned.
    stripped = code.lstrip(" ")
    code_origin = code_origin[len(code) - len(stripped) :]
    code = stripped
    if not code.strip():
        raise DerivError(ErrorKind.SYNTAX, f"{what} is empty", source=text, column=1)
    tree = _parse_ast(text, code, code_origin, what)
    builder = _Builder(text, code, code_origin, what=what, allow_variables=allow_variables)
    node = builder.build(tree.body, depth=0)
    if len(builder.variables) > MAX_VARIABLES:
        raise DerivError(
            ErrorKind.TOO_LARGE,
            f"{what} has {len(builder.variables):,} distinct variables; the limit is {MAX_VARIABLES}",
        )
    return ParsedExpression(text=text, tree=node, variables=tuple(builder.variables))


def parse_point(text: str) -> PointSpec:
    """Parse a ``--at`` value: ``3``, ``x=pi/4`` or ``u=1,v=2`` (values are constants)."""
    _to_ascii(text, "--at")
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
            assignments.append(Assignment(None, _parse_point_value(text, item, start), text, start))
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
        assignments.append(Assignment(name, _parse_point_value(text, match.group(2), offset), text, offset))
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
    _to_ascii(text, "--range")
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


def _parse_point_value(
    spec: str, value_text: str, offset: int, *, option: str = "--at", what: str = "point value"
) -> ParsedExpression:
    """Parse one constant value of an option, re-anchoring any error to the whole option text."""
    try:
        return parse_expression(value_text, what=what, allow_variables=False)
    except DerivError as error:
        raise reanchor(error, spec=spec, offset=offset, option=option) from None


def reanchor(error: DerivError, *, spec: str, offset: int, option: str = "--at") -> DerivError:
    """Move an error about a value into the coordinates of the whole option text (``--at``, ``--range``)."""
    column = None if error.column is None else error.column + offset
    return DerivError(
        error.kind, f"{error.message} in {option} {spec!r}", source=spec, column=column, length=error.length
    )


def _check_variable_name(name: str, *, source: str, column: int) -> None:
    """Refuse names that cannot be variables: functions, constants, keywords, dunders."""
    problem = name_problem(name)
    if problem is not None:
        kind, message = problem
        raise DerivError(kind, message, source=source, column=column, length=len(name))


def name_problem(name: str) -> tuple[ErrorKind, str] | None:
    """Say why ``name`` cannot be a variable, or return None when it can."""
    if keyword.iskeyword(name):
        return ErrorKind.KEYWORD, f"{name!r} is a Python keyword, not a variable name"
    if name.startswith("__"):
        return ErrorKind.NOT_ALLOWED, f"names starting with '__' are not allowed: {name!r}"
    if name in FUNCTION_ARITY:
        return ErrorKind.SYNTAX, f"{name!r} is a function: call it as {name}(...)"
    if name in CONSTANT_NAMES:
        return ErrorKind.BAD_POINT, f"{name!r} is a constant, not a variable"
    return None


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


def _to_ascii(text: str, what: str) -> tuple[str, list[int]]:
    """Map the few documented characters to ASCII and refuse every other non-ASCII one.

    Returns the ASCII text and, for each of its characters, the index of the
    character of ``text`` it came from (plus one entry for the end).
    """
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in _SUPERSCRIPTS and index > 0 and text[index - 1] in _SUPERSCRIPTS:
            # x²³ could mean x**23 or (x**2)**3: refuse rather than guess.
            raise DerivError(
                ErrorKind.SYNTAX,
                f"consecutive superscripts are ambiguous: write the power with ** or ^ in {what}",
                source=text,
                column=index,
                length=2,
            )
        if " " <= char <= "~":
            replacement = char
        elif char in CHARACTER_MAP:
            replacement = CHARACTER_MAP[char]
        elif char in "\t\n\r":
            replacement = " "
        else:
            shown = f" ({char!r})" if char.isprintable() else ""
            raise DerivError(
                ErrorKind.NON_ASCII,
                f"character {describe_character(char)}{shown} is not allowed in {what}",
                source=text,
                column=index + 1,
            )
        pieces.append(replacement)
        origin.extend([index] * len(replacement))
    origin.append(len(text))
    return "".join(pieces), origin


def _tokenise(text: str, ascii_text: str, origin: list[int], what: str) -> tuple[str, list[int]]:
    """Insert implicit multiplication, turn ``^`` into ``**`` and refuse keywords."""
    out: list[str] = []
    out_origin: list[int] = []

    def emit(piece: str, source_index: int) -> None:
        out.append(piece)
        out_origin.extend([source_index] * len(piece))

    for match in _TOKEN.finditer(ascii_text):
        start, end = match.span()
        token = match.group()
        if match.lastgroup == "name":
            if keyword.iskeyword(token):
                raise DerivError(
                    ErrorKind.KEYWORD,
                    f"{token!r} is a Python keyword, not allowed in {what}",
                    source=text,
                    column=origin[start] + 1,
                    length=len(token),
                )
            for offset, char in enumerate(token):
                emit(char, origin[start + offset])
        elif match.lastgroup == "number":
            if _NON_DECIMAL_LITERAL.match(ascii_text, start):
                raise DerivError(
                    ErrorKind.BAD_NUMBER,
                    "hexadecimal, octal and binary numbers are not supported",
                    source=text,
                    column=origin[start] + 1,
                    length=2,
                )
            if re.match(r"[eE][+-](?![0-9])", ascii_text[end:]):
                # 3e-x: Python reads a malformed exponent; 3*e - x would be a silent guess.
                raise DerivError(
                    ErrorKind.BAD_NUMBER,
                    f"malformed number {ascii_text[start : end + 2]!r}: an exponent needs digits",
                    source=text,
                    column=origin[start] + 1,
                    length=end + 2 - start,
                )
            if len(token) > MAX_SIGNIFICANT_DIGITS:
                # Python's own parser refuses integer literals of over 4,300 digits with its
                # own message; check the digits first so that deriv's message is the one shown.
                _exact_number(token, source=text, column=origin[start] + 1, length=end - start)
            for offset, char in enumerate(token):
                emit(char, origin[start + offset])
            following = ascii_text[end : end + 1]
            if following and (following.isalpha() or following in "_("):
                # A number directly followed by a name or a parenthesis multiplies it: 2x, 3(x+1).
                emit("*", origin[end])
        elif match.lastgroup == "caret":
            emit("**", origin[start])
        else:
            emit(token, origin[start])
    out_origin.append(origin[-1])
    return "".join(out), out_origin


def _parse_ast(text: str, code: str, origin: list[int], what: str) -> ast.Expression:
    """Run Python's parser (which executes nothing) and turn its failures into DerivErrors."""
    # Python's AST conversion recurses once per operator of a chain such as
    # x+x+...+x; the length limit bounds that chain, so a higher limit is safe.
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, _PARSER_RECURSION_LIMIT))
    try:
        return ast.parse(code, mode="eval")
    except SyntaxError as error:
        raise _syntax_error(text, code, origin, error, what) from None
    except (RecursionError, MemoryError):
        raise DerivError(
            ErrorKind.TOO_DEEP, f"{what} is nested too deeply to parse", source=text, column=1
        ) from None
    finally:
        sys.setrecursionlimit(previous_limit)


def _syntax_error(text: str, code: str, origin: list[int], error: SyntaxError, what: str) -> DerivError:
    """Describe a Python syntax error in the user's own columns."""
    message = (error.msg or "invalid syntax").split(". Perhaps")[0]
    if message.startswith("invalid syntax"):
        message = "invalid syntax"
    if not error.offset or error.offset > len(code.rstrip()):
        # Python reports errors at the end of the input with offset 0.
        column = len(text.rstrip()) + 1
        if message == "invalid syntax":
            message = f"unexpected end of {what}"
        return DerivError(ErrorKind.SYNTAX, message, source=text, column=column)
    offset = min(error.offset - 1, len(origin) - 1)
    column = origin[offset] + 1
    length = 1
    if error.end_offset and error.end_offset > (error.offset or 0) and (error.end_lineno in (None, 1)):
        end = min(error.end_offset - 1, len(origin) - 1)
        length = max(1, origin[end] - origin[offset])
    return DerivError(
        ErrorKind.SYNTAX,
        message,
        source=text,
        column=column,
        length=length,
    )


class _Builder:
    """Walk a Python AST against the allow-list and build :data:`Node` objects."""

    def __init__(self, text: str, code: str, origin: list[int], *, what: str, allow_variables: bool) -> None:
        self.text = text
        self.code = code
        self.origin = origin
        self.what = what
        self.allow_variables = allow_variables
        self.variables: dict[str, None] = {}

    def column(self, node: ast.expr) -> int:
        """The 1-based column in the user's text where ``node`` starts."""
        return self.origin[min(node.col_offset, len(self.origin) - 1)] + 1

    def span(self, node: ast.expr) -> tuple[int, int]:
        """The 1-based start column and the length of ``node`` in the user's text."""
        start = self.origin[min(node.col_offset, len(self.origin) - 1)]
        end_offset = node.end_col_offset if node.end_col_offset is not None else node.col_offset + 1
        end = self.origin[min(end_offset - 1, len(self.origin) - 1)] + 1
        return start + 1, max(1, end - start)

    def segment(self, node: ast.expr) -> str:
        """The user's text of ``node``."""
        column, length = self.span(node)
        return self.text[column - 1 : column - 1 + length]

    def fail(self, kind: ErrorKind, message: str, node: ast.expr) -> DerivError:
        """Build an error that points at ``node``."""
        column, length = self.span(node)
        return DerivError(kind, message, source=self.text, column=column, length=length)

    def build(self, node: ast.expr, depth: int) -> Node:
        """Convert one allowed AST node (and its children) into a Node."""
        if depth > MAX_DEPTH:
            raise self.fail(
                ErrorKind.TOO_DEEP, f"{self.what} is nested more than {MAX_DEPTH} levels deep", node
            )
        if isinstance(node, ast.BinOp):
            return self.build_binary(node, depth)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return Negate(self.build(node.operand, depth + 1), self.column(node))
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, depth + 1)
            raise self.fail(
                ErrorKind.NOT_ALLOWED, f"operator '{_OPERATOR_TEXT[type(node.op)]}' is not allowed", node
            )
        if isinstance(node, ast.Constant):
            return self.build_constant(node)
        if isinstance(node, ast.Name):
            return self.build_name(node)
        if isinstance(node, ast.Call):
            return self.build_call(node, depth)
        construct = _CONSTRUCT_NAMES.get(type(node), f"{type(node).__name__} is")
        raise self.fail(ErrorKind.NOT_ALLOWED, f"{construct} not allowed: {self.segment(node)!r}", node)

    def build_binary(self, node: ast.BinOp, depth: int) -> Node:
        """Build sums and products as flat chains, so long sums do not nest deeply."""
        if isinstance(node.op, ast.Pow):
            power = Power(
                self.build(node.left, depth + 1),
                self.build(node.right, depth + 1),
                self.column(node),
                self.segment(node),
            )
            bits = _power_bits(power)
            if bits is not None and bits > MAX_EXACT_BITS:
                raise too_large(power.text, bits, source=self.text, column=power.column)
            return power
        chain_ops: tuple[type[ast.operator], type[ast.operator]]
        if isinstance(node.op, (ast.Add, ast.Sub)):
            chain_ops = (ast.Add, ast.Sub)
        elif isinstance(node.op, (ast.Mult, ast.Div)):
            chain_ops = (ast.Mult, ast.Div)
        else:
            raise self.operator_error(node)
        items: list[tuple[bool, ast.expr]] = []
        current: ast.expr = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, chain_ops):
            items.append((isinstance(current.op, (ast.Sub, ast.Div)), current.right))
            current = current.left
            # +(a*b)*c is the chain a*b*c, as (a*b)*c is: a unary plus must not change the tree's shape.
            while isinstance(current, ast.UnaryOp) and isinstance(current.op, ast.UAdd):
                current = current.operand
        items.append((False, current))
        items.reverse()
        built = tuple((flag, self.build(operand, depth + 1)) for flag, operand in items)
        if chain_ops[0] is ast.Add:
            # In a sum the flag means subtraction: x - 0 is fine.
            return Sum(built, self.column(node))
        for (divide, operand), (_, item) in zip(items, built, strict=True):
            if divide and isinstance(item, Number) and item.value == 0:
                raise self.fail(ErrorKind.BAD_NUMBER, "division by zero", operand)
        return Product(built, self.column(node))

    def operator_error(self, node: ast.BinOp) -> DerivError:
        """Point at a refused binary operator itself."""
        symbol = _OPERATOR_TEXT[type(node.op)]
        gap_start = node.left.end_col_offset or node.col_offset
        position = self.code.find(symbol, gap_start, node.right.col_offset)
        if symbol == "^" or position < 0:
            position = gap_start
        column = self.origin[position] + 1
        return DerivError(
            ErrorKind.NOT_ALLOWED,
            f"operator '{symbol}' is not allowed",
            source=self.text,
            column=column,
            length=len(symbol),
        )

    def build_constant(self, node: ast.Constant) -> Node:
        """Numbers become exact Fractions from their own text; other literals are refused."""
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise self.fail(ErrorKind.NOT_ALLOWED, f"{self.segment(node)!r} is not allowed", node)
        if isinstance(value, (str, bytes)):
            raise self.fail(ErrorKind.NOT_ALLOWED, "strings are not allowed", node)
        if isinstance(value, complex):
            raise self.fail(ErrorKind.NOT_ALLOWED, "complex numbers are not supported", node)
        literal = self.code[node.col_offset : node.end_col_offset]
        column, length = self.span(node)
        return Number(_exact_number(literal, source=self.text, column=column, length=length), literal, column)

    def build_name(self, node: ast.Name) -> Node:
        """Constants, variables, and helpful refusals for everything else."""
        name = node.id
        if name in CONSTANT_NAMES:
            return Constant(CONSTANT_NAMES[name], self.column(node))
        problem = name_problem(name)
        if problem is not None:
            kind, message = problem
            raise self.fail(kind, message, node)
        if not self.allow_variables:
            if name.lower() in _NON_FINITE_NAMES:
                raise self.fail(ErrorKind.BAD_NUMBER, f"{name!r} is not a finite number", node)
            raise self.fail(
                ErrorKind.BAD_POINT, f"{self.what} must be a constant, but {name!r} is a variable", node
            )
        self.variables.setdefault(name, None)
        return Variable(name, self.column(node))

    def build_call(self, node: ast.Call, depth: int) -> Node:
        """Calls of known functions with the right number of plain arguments."""
        if isinstance(node.func, (ast.Attribute, ast.Subscript)):
            # a.b(...) and a[0](...): refuse the attribute or subscript itself.
            self.build(node.func, depth + 1)
        if not isinstance(node.func, ast.Name):
            raise self.fail(
                ErrorKind.NOT_ALLOWED,
                f"only named functions can be called: {self.segment(node.func)!r};"
                " to multiply, write '*' before '('",
                node.func,
            )
        name = node.func.id
        if name not in FUNCTION_ARITY:
            raise self.unknown_function(node.func)
        if node.keywords:
            raise self.fail(
                ErrorKind.NOT_ALLOWED, "keyword arguments are not allowed", node.keywords[0].value
            )
        low, high = FUNCTION_ARITY[name]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            raise self.fail(ErrorKind.ARITY, f"{name} takes {_arity_text(low, high)}, got {count}", node)
        args = tuple(self.build(arg, depth + 1) for arg in node.args)
        return Call(name, args, self.column(node))

    def unknown_function(self, func: ast.Name) -> DerivError:
        """Refuse an unknown function, suggesting a close known name."""
        name = func.id
        if name.startswith("__"):
            return self.fail(
                ErrorKind.NOT_ALLOWED, f"names starting with '__' are not allowed: {name!r}", func
            )
        close = difflib.get_close_matches(name.lower(), list(FUNCTION_ARITY), n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        elif len(name) <= 2:
            # x(x+1) is most likely a product written without its '*'.
            hint = f"; to multiply, write {name}*(...)"
        else:
            hint = ""
        return self.fail(ErrorKind.UNKNOWN_FUNCTION, f"unknown function {name!r}{hint}", func)


def too_large(text: str, bits: float, *, source: str, column: int) -> DerivError:
    """The error for a constant power whose exact value would have ``bits`` bits."""
    digits = bits * math.log10(2)
    size = f"about {digits:.3g} digits" if math.isfinite(digits) else "more digits than a float can count"
    limit = int(MAX_EXACT_BITS * math.log10(2))
    return DerivError(
        ErrorKind.TOO_LARGE,
        f"{text!r} is too large to compute exactly ({size}; the limit is {limit:,})",
        source=source,
        column=column,
        length=len(text),
    )


def _power_bits(power: Power) -> float | None:
    """About how many bits the exact value of a power of plain numbers has (None if not plain)."""
    base = _log2_magnitude(power.base)
    exponent = _log2_magnitude(power.exponent)
    if base is None or exponent is None:
        return None
    if base == -math.inf or exponent == -math.inf:
        return 0.0  # 0**e or b**0
    if exponent > 1000:
        return math.inf if base != 0 else 0.0
    return abs(base) * math.pow(2.0, exponent)


def _log2_magnitude(node: Node) -> float | None:
    """An estimate of log2 of the absolute value of a tree of plain numbers (None otherwise).

    Generous on purpose (sums count as their largest term times their length):
    it only has to catch towers like 9**9**9 before anything computes them.
    """
    if isinstance(node, Number):
        if node.value == 0:
            return -math.inf
        return math.log2(abs(node.value.numerator)) - math.log2(node.value.denominator)
    if isinstance(node, Negate):
        return _log2_magnitude(node.operand)
    if isinstance(node, (Sum, Product)):
        items = node.terms if isinstance(node, Sum) else node.factors
        logs = [_log2_magnitude(item) for _, item in items]
        if any(value is None for value in logs):
            return None
        known = [value for value in logs if value is not None]
        if isinstance(node, Sum):
            return max(known) + math.log2(len(known))
        return float(
            sum(-value if divide else value for (divide, _), value in zip(items, known, strict=True))
        )
    if isinstance(node, Power):
        bits = _power_bits(node)
        if bits is None:
            return None
        base = _log2_magnitude(node.base)
        return bits if base is not None and base >= 0 else -bits
    return None


def _arity_text(low: int, high: int | None) -> str:
    """Say how many arguments a function takes, in words."""
    plural = "s" if (high or low) != 1 else ""
    if high is None:
        return f"at least {low} arguments"
    if low == high:
        return f"{low} argument{plural}"
    return f"{low} or {high} arguments"


def _exact_number(literal: str, *, source: str, column: int, length: int) -> Fraction:
    """The exact value of a decimal literal, refusing what float64 cannot hold.

    Bounds are checked on the digits before any big integer is made, so that
    ``1e999999999`` costs nothing.
    """
    digits = literal.replace("_", "").lower()
    mantissa, _, exponent_text = digits.partition("e")
    whole, _, fraction_digits = mantissa.partition(".")

    # A literal of thousands of digits is named by its start and its length.
    shown = repr(literal) if len(literal) <= 40 else f"'{literal[:20]}...' ({len(literal):,} characters)"

    def refuse(reason: str) -> DerivError:
        return DerivError(
            ErrorKind.BAD_NUMBER,
            f"number {shown} {reason}",
            source=source,
            column=column,
            length=length,
        )

    all_digits = whole + fraction_digits
    significant = all_digits.lstrip("0")
    if not significant:
        return Fraction(0)
    if len(exponent_text.lstrip("+-0")) > 6:
        raise refuse("is out of float64 range")
    exponent = int(exponent_text) if exponent_text else 0
    # Decimal position of the leading significant digit, relative to the point.
    magnitude = len(all_digits) - len(significant) - len(whole)
    leading_exponent = exponent - magnitude - 1
    if leading_exponent > _MAX_DECIMAL_MAGNITUDE:
        raise refuse("is too large: it overflows float64")
    if leading_exponent < _MIN_DECIMAL_MAGNITUDE:
        raise refuse("is too small: it underflows float64 to zero")
    if len(significant) > MAX_SIGNIFICANT_DIGITS:
        raise refuse(f"has more than {MAX_SIGNIFICANT_DIGITS} significant digits")
    value = Fraction(int(all_digits)) * Fraction(10) ** (exponent - len(fraction_digits))
    try:
        as_float = float(value)
    except OverflowError:
        raise refuse("is too large: it overflows float64") from None
    if as_float == 0.0:
        raise refuse("is too small: it underflows float64 to zero")
    return value


#: Binding strength of each node type when printed: higher binds tighter.
_PRECEDENCE: Final[Mapping[type, int]] = {Sum: 1, Product: 2, Negate: 3, Power: 4}


def node_text(node: Node) -> str:
    """Print a parse tree back as an expression (``2x`` as ``2*x``, with only the parentheses it needs)."""
    if isinstance(node, Number):
        return node.text
    if isinstance(node, (Constant, Variable)):
        return node.name
    if isinstance(node, Call):
        return f"{node.name}({', '.join(node_text(arg) for arg in node.args)})"
    if isinstance(node, Negate):
        return f"-{_wrapped(node.operand, tighter_than=2)}"
    if isinstance(node, Power):
        # Powers are right-associative: a power as the base needs parentheses, as the exponent not.
        return f"{_wrapped(node.base, tighter_than=4)}**{_wrapped(node.exponent, tighter_than=2)}"
    # A sum inside a sum (or a product inside a product) was parenthesised: keep it so.
    if isinstance(node, Sum):
        pieces = [_wrapped(node.terms[0][1], tighter_than=1)]
        for negative, term in node.terms[1:]:
            pieces.append(f" {'-' if negative else '+'} {_wrapped(term, tighter_than=1)}")
        return "".join(pieces)
    pieces = [_wrapped(node.factors[0][1], tighter_than=2)]
    for divide, factor in node.factors[1:]:
        pieces.append(f"{'/' if divide else '*'}{_wrapped(factor, tighter_than=2)}")
    return "".join(pieces)


def _wrapped(node: Node, *, tighter_than: int) -> str:
    """A child's text, in parentheses unless it binds tighter than ``tighter_than``."""
    text = node_text(node)
    return text if _PRECEDENCE.get(type(node), 5) > tighter_than else f"({text})"


def has_variable(node: Node) -> bool:
    """True when the subtree mentions a variable."""
    if isinstance(node, Variable):
        return True
    if isinstance(node, Negate):
        return has_variable(node.operand)
    if isinstance(node, (Sum, Product)):
        items = node.terms if isinstance(node, Sum) else node.factors
        return any(has_variable(item) for _, item in items)
    if isinstance(node, Power):
        return has_variable(node.base) or has_variable(node.exponent)
    if isinstance(node, Call):
        return any(has_variable(arg) for arg in node.args)
    return False
