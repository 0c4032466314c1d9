"""The grammar: parse an expression and translate Python's ast into the tree, against an allow-list.

The text is untrusted. It is mapped to ASCII, tokenised for implicit
multiplication, parsed by :func:`ast.parse` in ``eval`` mode (which only builds
a tree and runs nothing) and walked against an allow-list. Nothing here
imports SymPy or torch, so refusing bad input stays fast.
"""

from __future__ import annotations

import ast
import keyword
import re
import sys
import warnings
from collections.abc import Mapping
from typing import Final

from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.lexer import to_ascii, tokenise
from derivcli.parsing.numbers import MAX_EXACT_BITS, exact_number, power_bits, too_large
from derivcli.parsing.tree import (
    Call,
    Constant,
    Negate,
    Node,
    Number,
    ParsedExpression,
    Power,
    Product,
    Sum,
    Variable,
)

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
    "logsigmoid": (1, 1),
    "log1p": (1, 1),
    "expm1": (1, 1),
    "hypot": (2, 2),
    "logaddexp": (2, 2),
    "sec": (1, 1),
    "csc": (1, 1),
    "cot": (1, 1),
    "asec": (1, 1),
    "acsc": (1, 1),
    "acot": (1, 1),
    "sech": (1, 1),
    "csch": (1, 1),
    "coth": (1, 1),
    "cbrt": (1, 1),
    "root": (2, 2),
    "min": (2, None),
    "max": (2, None),
    "heaviside": (1, 1),
}

#: Other names of known functions: ``ln`` is ``log``.
FUNCTION_ALIASES: Final[Mapping[str, str]] = {"ln": "log"}

#: Names from other notations with the same meaning, offered when one is called (never a mere look-alike:
#: ``cot`` is not ``cos``).
_SAME_MEANING: Final[Mapping[str, str]] = {
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsec": "asec",
    "arccsc": "acsc",
    "arccot": "acot",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "arsinh": "asinh",
    "arcosh": "acosh",
    "artanh": "atanh",
    "tg": "tan",
    "ctg": "cot",
    "cosec": "csc",
    "exp2": "2**",
    "log10": "log(x, 10)",
    "log2": "log(x, 2)",
    "sqr": "x**2",
    "fabs": "abs",
    "maximum": "max",
    "minimum": "min",
    "step": "heaviside",
    "logistic": "sigmoid",
    "expit": "sigmoid",
    "atan2d": "atan2",
}

#: Every function name deriv knows, in alphabetical order, as error messages list them.
KNOWN_FUNCTIONS: Final = ", ".join(sorted([*FUNCTION_ARITY, *FUNCTION_ALIASES]))

#: Names of constants; ``e`` is an alias of ``E``.
CONSTANT_NAMES: Final[Mapping[str, str]] = {"pi": "pi", "E": "E", "e": "E"}

MAX_EXPRESSION_LENGTH: Final = 10_000
MAX_DEPTH: Final = 100
#: Distinct variables of one expression (a Hessian of 100 variables already has 10,000 entries).
MAX_VARIABLES: Final = 100
_PARSER_RECURSION_LIMIT: Final = 4 * MAX_EXPRESSION_LENGTH

_NON_FINITE_NAMES: Final = frozenset({"inf", "infinity", "nan", "oo", "zoo"})

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


def parse_expression(
    text: str, *, what: str = "expression", allow_variables: bool = True
) -> ParsedExpression:
    """Parse untrusted text into a :class:`ParsedExpression`, or raise :class:`DerivError`."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise DerivError(
            ErrorKind.TOO_LONG,
            f"{what} is {len(text):,} characters long; the limit is {MAX_EXPRESSION_LENGTH:,}",
        )
    plain = _PLAIN_NUMBER.fullmatch(text)
    if plain is not None:
        # Most point values (every number a JSON line holds) are plain literals: read without the parser.
        return _plain_number(text, sign=plain.group(1), literal=plain.group(2))
    return _parse_in_full(text, what=what, allow_variables=allow_variables)


def _parse_in_full(text: str, *, what: str, allow_variables: bool) -> ParsedExpression:
    """parse_expression's way for any text: tokenise, Python's parser, then the allow-list."""
    ascii_text, origin = to_ascii(text, what)
    code, code_origin = tokenise(text, ascii_text, origin, what)
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


#: A decimal literal that Python reads as written, with an optional minus: "3", "-0.604", "1e-300".
_PLAIN_NUMBER: Final = re.compile(r"(-?)((?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)")


def _plain_number(text: str, *, sign: str, literal: str) -> ParsedExpression:
    """The tree the parser builds for ``literal`` after an optional minus sign, built directly."""
    column = len(sign) + 1
    value = exact_number(literal, source=text, column=column, length=len(literal))
    number = Number(value, literal, column)
    return ParsedExpression(text=text, tree=Negate(number, 1) if sign else number, variables=())


def name_problem(name: str) -> tuple[ErrorKind, str] | None:
    """Say why ``name`` cannot be a variable, or return None when it can."""
    if keyword.iskeyword(name):
        return ErrorKind.KEYWORD, f"{name!r} is a Python keyword, not a variable name"
    if name.startswith("__"):
        return ErrorKind.NOT_ALLOWED, f"names starting with '__' are not allowed: {name!r}"
    if name in FUNCTION_ARITY or name in FUNCTION_ALIASES:
        return ErrorKind.SYNTAX, f"{name!r} is a function: call it as {name}(...)"
    if name in CONSTANT_NAMES:
        return ErrorKind.BAD_POINT, f"{name!r} is a constant, not a variable"
    return None


def _parse_ast(text: str, code: str, origin: list[int], what: str) -> ast.Expression:
    """Run Python's parser (which executes nothing) and turn its failures into DerivErrors."""
    # Python's AST conversion recurses once per operator of a chain such as
    # x+x+...+x; the length limit bounds that chain, so a higher limit is safe.
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, _PARSER_RECURSION_LIMIT))
    try:
        # Python warns about text it will refuse anyway ("invalid escape sequence" in a string):
        # the one message deriv prints is its own refusal.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
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

    def fail(self, kind: ErrorKind, message: str, node: ast.expr, *, hint: str | None = None) -> DerivError:
        """Build an error that points at ``node`` (with what to do about it, said after the column)."""
        column, length = self.span(node)
        return DerivError(kind, message, source=self.text, column=column, length=length, hint=hint)

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
            bits = power_bits(power)
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
        return Number(exact_number(literal, source=self.text, column=column, length=length), literal, column)

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
        name = FUNCTION_ALIASES.get(node.func.id, node.func.id)
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
        # Only a name with the same meaning is suggested: a look-alike (cot for cos) would change it.
        lower = name.lower()
        if lower in FUNCTION_ARITY or lower in FUNCTION_ALIASES:
            hint = f"did you mean {lower!r}? (names are case-sensitive)"
        elif lower in _SAME_MEANING:
            hint = f"write {_SAME_MEANING[lower]!r}"
        elif len(name) <= 2:
            # x(x+1) is most likely a product written without its '*'.
            hint = f"to multiply, write {name}*(...)"
        else:
            hint = f"the functions are {KNOWN_FUNCTIONS}"
        return self.fail(ErrorKind.UNKNOWN_FUNCTION, f"unknown function {name!r}", func, hint=hint)


def _arity_text(low: int, high: int | None) -> str:
    """Say how many arguments a function takes, in words."""
    plural = "s" if (high or low) != 1 else ""
    if high is None:
        return f"at least {low} arguments"
    if low == high:
        return f"{low} argument{plural}"
    return f"{low} or {high} arguments"
