"""Property tests: printed trees parse back to themselves, both witnesses agree, and the parser only refuses.

Three families, each driven by Hypothesis:

* random trees over the whole grammar, printed by this file's own printers
  (fully parenthesised, and a lighter one with ``^``, implicit products such as
  ``2x``, ``×``/``−``/``²``), parse to exactly the generated tree, and
  :func:`~derivcli.parsing.tree.node_text` prints a parsed tree back to text that
  parses to the same tree;
* on random expressions built from domain-safe pieces, at random points in
  ``[-3, 3]``, every derivative entry of :func:`~derivcli.core.compare.compare`
  agrees or carries a note saying why not (float64, and float32 at fewer examples);
* random text (all of Unicode, a grammar-biased alphabet, byte-ish strings)
  makes :func:`parse_expression` and :func:`parse_point` return or raise
  :class:`~derivcli.errors.DerivError`, never anything else; what they accept
  prints back and reparses to itself.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derivcli.core.compare import Options, compare
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.plan import make_plan
from derivcli.model.setup import DType, Mode, Setup
from derivcli.parsing.grammar import FUNCTION_ARITY, parse_expression
from derivcli.parsing.points import parse_point
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
    node_text,
)

# ---------------------------------------------------------------------------
# Shapes: trees without columns and source texts


def shape(node: object) -> object:
    """A tree as nested tuples, without ``column`` and ``text`` (exact Number values are kept)."""
    if isinstance(node, tuple):
        return tuple(shape(item) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        names = [field.name for field in dataclasses.fields(node) if field.name not in ("column", "text")]
        return (type(node).__name__, *(shape(getattr(node, name)) for name in names))
    return node


def variables_in_order(node: Node) -> tuple[str, ...]:
    """Variable names in order of first appearance, left to right as printed."""
    seen: dict[str, None] = {}

    def walk(item: Node) -> None:
        if isinstance(item, Variable):
            seen.setdefault(item.name, None)
        elif isinstance(item, Negate):
            walk(item.operand)
        elif isinstance(item, Sum):
            for _, term in item.terms:
                walk(term)
        elif isinstance(item, Product):
            for _, factor in item.factors:
                walk(factor)
        elif isinstance(item, Power):
            walk(item.base)
            walk(item.exponent)
        elif isinstance(item, Call):
            for arg in item.args:
                walk(arg)

    walk(node)
    return tuple(seen)


# ---------------------------------------------------------------------------
# a) Random trees over the whole grammar


@st.composite
def number_literals(draw: st.DrawFn) -> Number:
    """A decimal literal (``7``, ``2.``, ``.25``, ``1_000``, ``1.5e-3``, ``3E+2``) with its exact value."""
    whole = draw(st.sampled_from(["", "0", "1", "2", "3", "7", "10", "42", "1_000", "250"]))
    fraction = draw(st.sampled_from([None, "", "5", "25", "125", "0_5"]))
    if not whole and not fraction:
        whole = "1"
    text = whole if fraction is None else f"{whole}.{fraction}"
    exponent = draw(st.sampled_from([None, "e-3", "E+2", "e1", "e0", "E-1", "e02"]))
    if exponent is not None:
        text += exponent
    digits_whole = whole.replace("_", "")
    digits_fraction = (fraction or "").replace("_", "")
    value = Fraction(int(digits_whole + digits_fraction or "0"), 10 ** len(digits_fraction))
    if exponent is not None:
        value *= Fraction(10) ** int(exponent[1:])
    return Number(value, text, 0)


_LEAVES: st.SearchStrategy[Node] = st.one_of(
    number_literals(),
    st.sampled_from([Constant("pi", 0), Constant("E", 0)]),
    st.sampled_from([Variable("x", 0), Variable("y", 0)]),
)


def _no_zero_divisor(factor: Node) -> Node:
    """``x/0`` is refused on purpose (division by zero): divide by 1 instead."""
    if isinstance(factor, Number) and factor.value == 0:
        return Number(Fraction(1), "1", 0)
    return factor


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    """One level of operators over ``children``, in the canonical (flattened) form the parser builds."""
    flags_and_children = st.tuples(st.booleans(), children)

    def make_sum(first: Node, rest: list[tuple[bool, Node]]) -> Node:
        # (a + b) + c is the flat sum a + b + c: a sum never starts with a sum.
        head = first.terms if isinstance(first, Sum) else ((False, first),)
        return Sum((*head, *rest), 0)

    def make_product(first: Node, rest: list[tuple[bool, Node]]) -> Node:
        head = first.factors if isinstance(first, Product) else ((False, first),)
        return Product((*head, *((flag, _no_zero_divisor(f)) for flag, f in rest)), 0)

    calls = st.sampled_from(sorted(FUNCTION_ARITY)).flatmap(
        lambda name: st.lists(
            children,
            min_size=FUNCTION_ARITY[name][0],
            max_size=FUNCTION_ARITY[name][1] or FUNCTION_ARITY[name][0] + 2,
        ).map(lambda args: Call(name, tuple(args), 0))
    )
    return st.one_of(
        children.map(lambda operand: Negate(operand, 0)),
        st.builds(make_sum, children, st.lists(flags_and_children, min_size=1, max_size=3)),
        st.builds(make_product, children, st.lists(flags_and_children, min_size=1, max_size=3)),
        st.builds(lambda base, exponent: Power(base, exponent, 0, ""), children, children),
        calls,
    )


def trees(max_leaves: int = 12) -> st.SearchStrategy[Node]:
    """Random parse trees, a few levels deep."""
    return st.recursive(_LEAVES, _extend, max_leaves=max_leaves)


def full_text(node: Node) -> str:
    """Every subexpression in parentheses: no precedence at all is left to the parser."""
    if isinstance(node, Number):
        return node.text
    if isinstance(node, (Constant, Variable)):
        return node.name
    if isinstance(node, Call):
        return f"{node.name}({','.join(full_text(arg) for arg in node.args)})"
    if isinstance(node, Negate):
        return f"(-{full_text(node.operand)})"
    if isinstance(node, Power):
        return f"(({full_text(node.base)})**({full_text(node.exponent)}))"
    if isinstance(node, Sum):
        first = full_text(node.terms[0][1])
        rest = "".join(f"{'-' if minus else '+'}({full_text(term)})" for minus, term in node.terms[1:])
        return f"(({first}){rest})"
    first = full_text(node.factors[0][1])
    rest = "".join(f"{'/' if divide else '*'}({full_text(factor)})" for divide, factor in node.factors[1:])
    return f"(({first}){rest})"


@dataclasses.dataclass(frozen=True)
class Style:
    """Choices of the light printer."""

    caret: bool = False  # x^2 rather than x**2
    implicit: bool = False  # 2x, 3(x + 1), 2sin(x)
    unicode: bool = False  # × for *, − for -, ² and ³ for small powers
    lower_e: bool = False  # e rather than E


_PRECEDENCE = {Sum: 1, Product: 2, Negate: 3, Power: 4}


def light_text(node: Node, style: Style) -> str:
    """Only the parentheses precedence needs, with the style's spellings."""
    times = "\u00d7" if style.unicode else "*"
    minus = "\u2212" if style.unicode else "-"

    def wrapped(child: Node, tighter_than: int) -> str:
        text = light_text(child, style)
        return text if _PRECEDENCE.get(type(child), 5) > tighter_than else f"({text})"

    if isinstance(node, Number):
        return node.text
    if isinstance(node, Constant):
        return "e" if node.name == "E" and style.lower_e else node.name
    if isinstance(node, Variable):
        return node.name
    if isinstance(node, Call):
        return f"{node.name}({', '.join(light_text(arg, style) for arg in node.args)})"
    if isinstance(node, Negate):
        return f"{minus}{wrapped(node.operand, 2)}"
    if isinstance(node, Power):
        base = wrapped(node.base, 4)
        exponent = node.exponent
        if (
            style.unicode
            and isinstance(exponent, Number)
            and exponent.text in ("2", "3")
            and base[-1] not in "\u00b2\u00b3"
        ):
            return base + ("\u00b2" if exponent.text == "2" else "\u00b3")
        return f"{base}{'^' if style.caret else '**'}{wrapped(exponent, 2)}"
    if isinstance(node, Sum):
        pieces = [wrapped(node.terms[0][1], 1)]
        for negative, term in node.terms[1:]:
            pieces.append(f" {minus if negative else '+'} {wrapped(term, 1)}")
        return "".join(pieces)
    pieces = [wrapped(node.factors[0][1], 2)]
    for index, (divide, factor) in enumerate(node.factors[1:]):
        text = wrapped(factor, 2)
        first = node.factors[0][1]
        if (
            style.implicit
            and index == 0
            and not divide
            and isinstance(first, Number)
            and (text[0].isalpha() or text[0] == "(")
        ):
            pieces.append(text)  # 2x, 2(x + 1): the tokeniser inserts the '*'
        else:
            pieces.append(f"{'/' if divide else times}{text}")
    return "".join(pieces)


def parse_or_reject(text: str) -> ParsedExpression:
    """Parse a printed tree; numbers too large to compute exactly (10**10**10) are refused by design."""
    try:
        return parse_expression(text)
    except DerivError as error:
        assume(error.kind is not ErrorKind.TOO_LARGE)
        raise


def check_round_trip(tree: Node, text: str) -> None:
    """``text`` parses to ``tree``; node_text of the result parses to the same tree again."""
    parsed = parse_or_reject(text)
    assert shape(parsed.tree) == shape(tree), text
    assert parsed.variables == variables_in_order(tree)
    printed = node_text(parsed.tree)
    again = parse_expression(printed)
    assert shape(again.tree) == shape(parsed.tree), (text, printed)
    assert again.variables == parsed.variables
    # node_text is a fixed point after one round.
    assert node_text(again.tree) == printed


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_fully_parenthesised_trees_round_trip(tree: Node) -> None:
    check_round_trip(tree, full_text(tree))


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(trees(), st.builds(Style, st.booleans(), st.booleans(), st.booleans(), st.booleans()))
def test_lightly_parenthesised_trees_round_trip(tree: Node, style: Style) -> None:
    check_round_trip(tree, light_text(tree, style))


def test_subtracting_a_literal_zero_is_not_division_by_zero() -> None:
    # Found by test_fully_parenthesised_trees_round_trip; minimal input "x - 0" (also "1-0", "x-0.0").
    tree = parse_expression("x - 0").tree
    assert shape(tree) == shape(Sum(((False, Variable("x", 0)), (True, Number(Fraction(0), "0", 0))), 0))


@pytest.mark.parametrize("text", ["+(x*y)*z", "+(x-y)+z", "-(+(2x)*(2x))"])
def test_unary_plus_nesting_survives_node_text(text: str) -> None:
    # Found by fuzz/parsers.py on '-(+(2x)*(2x))': node_text printed '(2*x)*(2*x)', which
    # parsed flat while the original chain was nested through the unary plus.
    tree = parse_expression(text).tree
    assert shape(parse_expression(node_text(tree)).tree) == shape(tree)


def test_light_printer_spellings_parse_as_intended() -> None:
    """The printer's own spellings, checked once by hand so the properties rest on them."""
    two = Number(Fraction(2), "2", 0)
    x = Variable("x", 0)
    tree = Product(((False, two), (False, Power(x, two, 0, ""))), 0)
    assert light_text(tree, Style(implicit=True, unicode=True)) == "2x\u00b2"
    assert light_text(tree, Style(caret=True, implicit=True)) == "2x^2"
    check_round_trip(tree, "2x\u00b2")
    check_round_trip(tree, "2x^2")


# ---------------------------------------------------------------------------
# b) Autograd and symbolic agree inside each function's domain, or say why not

Piece = Callable[[str], str]

#: Maps from any real argument into a function's domain, keeping values moderate.
_SAFE_UNARY: tuple[Piece, ...] = (
    lambda u: f"sin({u})",
    lambda u: f"cos({u})",
    lambda u: f"tan(atan({u})/2)",
    lambda u: f"asin(tanh({u})/2)",
    lambda u: f"acos(tanh({u})/2)",
    lambda u: f"atan({u})",
    lambda u: f"sinh(tanh({u}))",
    lambda u: f"cosh(sin({u}))",
    lambda u: f"tanh({u})",
    lambda u: f"asinh({u})",
    lambda u: f"acosh(2 + sin({u}))",
    lambda u: f"atanh(tanh({u})/2)",
    lambda u: f"exp(sin({u}))",
    lambda u: f"exp(-({u})**2/4)",
    lambda u: f"log(1 + ({u})**2)",
    lambda u: f"log(2 + cos({u}), 2)",
    lambda u: f"sqrt(2 + ({u})**2)",
    lambda u: f"erf({u})",
    lambda u: f"sigmoid({u})",
    lambda u: f"softplus({u})",
    lambda u: f"abs({u})",
    lambda u: f"relu({u})",
    lambda u: f"heaviside({u})",
    lambda u: f"({u})^2",
    lambda u: f"({u})**3/9",
    lambda u: f"-({u})",
)

_SAFE_BINARY: tuple[Callable[[str, str], str], ...] = (
    lambda a, b: f"({a}) + ({b})",
    lambda a, b: f"({a}) - ({b})",
    lambda a, b: f"({a})*({b})",
    lambda a, b: f"({a})/(2 + ({b})**2)",
    lambda a, b: f"atan2({a}, 2 + ({b})**2)",
    lambda a, b: f"max({a}, {b})",
    lambda a, b: f"min({a}, {b}, 1)",
    lambda a, b: f"(1 + ({a})**2)**(sin({b})/2)",
)

_SAFE_LEAVES = st.sampled_from(["x", "y", "2x", "x*y", "x - y", "3", "0.5", "pi/4", "x^2 - 2y + 1", "E*y"])


def safe_expressions(max_leaves: int = 4) -> st.SearchStrategy[str]:
    """Expressions in x and y whose every piece is defined, with moderate values, on all of [-3, 3]²."""

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds(lambda piece, u: piece(u), st.sampled_from(_SAFE_UNARY), children),
            st.builds(lambda piece, a, b: piece(a, b), st.sampled_from(_SAFE_BINARY), children, children),
        )

    return st.recursive(_SAFE_LEAVES, extend, max_leaves=max_leaves)


def point_text(x: float, y: float) -> str:
    return f"x={x!r},y={y!r}"


def check_agreement(text: str, points: list[str], dtype: str) -> None:
    parsed = parse_expression(text)
    # As `deriv partial EXPR --at x=..,y=..` does (cli.py's _eval_plan): y gets a value even when absent.
    plan = make_plan(mode=Mode.PARTIAL, expression=parsed, points=[parse_point(p) for p in points])
    report = compare(plan, Options(setup=Setup(dtype=DType(dtype))))
    assert report.dtype == dtype
    assert len(report.points) == len(points)
    for point in report.points:
        assert set(point.derivatives) == set(plan.wrt)
        for key, entry in point.derivatives.items():
            assert entry.agree or entry.note, (text, point.at, key, entry)
            if entry.agree:
                assert math.isfinite(entry.autograd) or entry.autograd == entry.symbolic_value


_COORDINATES = st.floats(min_value=-3, max_value=3, allow_nan=False, allow_infinity=False)
# Multiples of 1/1024 are exact in float32: the float32 run has no point rounding to explain.
_FLOAT32_COORDINATES = st.integers(min_value=-3 * 1024, max_value=3 * 1024).map(lambda n: n / 1024)


@settings(deadline=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(safe_expressions(), st.lists(st.tuples(_COORDINATES, _COORDINATES), min_size=1, max_size=3))
def test_witnesses_agree_or_explain_float64(text: str, points: list[tuple[float, float]]) -> None:
    check_agreement(text, [point_text(x, y) for x, y in points], "float64")


@settings(deadline=None, max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(
    safe_expressions(max_leaves=3),
    st.lists(st.tuples(_FLOAT32_COORDINATES, _FLOAT32_COORDINATES), min_size=1, max_size=2),
)
def test_witnesses_agree_or_explain_float32(text: str, points: list[tuple[float, float]]) -> None:
    check_agreement(text, [point_text(x, y) for x, y in points], "float32")


def test_safe_pieces_are_smooth_and_agree_exactly_where_expected() -> None:
    """A fixed instance, so a regression in the strategy cannot make the property vacuous."""
    parsed = parse_expression("log(1 + x**2) + sqrt(2 + y**2)*exp(sin(x))")
    plan = make_plan(mode=Mode.PARTIAL, expression=parsed, points=[parse_point("x=0.5,y=-1.25")])
    report = compare(plan, Options())
    entries = report.points[0].derivatives
    assert set(entries) == {"x", "y"}
    assert all(entry.agree and entry.note is None for entry in entries.values())


# ---------------------------------------------------------------------------
# c) Random text: a DerivError or a tree, nothing else

_GRAMMAR_TOKENS = [
    "x", "y", "sin(", "(", ")", "+", "-", "*", "/", "**", "^", ".", "e", "E", "1", "0", "9", ",", "=",
    "_", "__", "[", "]", "{", "}", "'", '"', ":", ";", "lambda", " ", "pi", "log(", "max(", "atan2(",
    "\u2212", "\u00d7", "\u00b2", "\u00b3", "\t", "\n", "1e", "e-", "0x", "j", "%", "@", "~", "<", "!",
    "__import__", "if", "else", "not", "and", "inf", "nan", "1_", "9" * 20, "e999", "`", "\\", "#",
]  # fmt: skip

_ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
random_texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=_ANY_CHARACTER, max_size=40),
    st.lists(st.sampled_from(_GRAMMAR_TOKENS), max_size=25).map("".join),
    st.binary(max_size=40).map(lambda data: data.decode("latin-1")),
    st.binary(max_size=40).map(lambda data: data.decode("utf-8", errors="surrogateescape")),
)


def check_refusal(error: DerivError, text: str) -> None:
    """A refusal is one line, of a known kind, pointing into (or just past) the text it names."""
    assert isinstance(error.kind, ErrorKind)
    assert error.message
    assert "\n" not in error.message, (text, error.message)
    assert error.length >= 1
    if error.source is not None and error.column is not None:
        assert 1 <= error.column <= len(error.source) + 1, (text, error.column, error.message)


@settings(deadline=None, max_examples=200)
@given(random_texts)
def test_parse_expression_returns_a_tree_or_refuses(text: str) -> None:
    try:
        parsed = parse_expression(text)
    except DerivError as error:
        check_refusal(error, text)
        return
    assert parsed.text == text
    # Whatever is accepted prints back to an expression that parses to the same tree.
    printed = node_text(parsed.tree)
    again = parse_expression(printed)
    assert shape(again.tree) == shape(parsed.tree), (text, printed)
    assert again.variables == parsed.variables


@settings(deadline=None, max_examples=200)
@given(random_texts)
def test_parse_point_returns_constants_or_refuses(text: str) -> None:
    try:
        spec = parse_point(text)
    except DerivError as error:
        check_refusal(error, text)
        return
    assert spec.text == text
    assert spec.assignments
    names = [assignment.name for assignment in spec.assignments if assignment.name is not None]
    assert len(names) == len(set(names))
    if len(spec.assignments) > 1:
        assert len(names) == len(spec.assignments)
    for assignment in spec.assignments:
        assert assignment.value.variables == ()


@settings(deadline=None, max_examples=200)
@given(st.lists(st.sampled_from(_GRAMMAR_TOKENS), max_size=25).map("".join), st.sampled_from(["x=", ""]))
def test_parse_point_on_grammar_text(text: str, prefix: str) -> None:
    try:
        spec = parse_point(prefix + text)
    except DerivError as error:
        check_refusal(error, prefix + text)
        return
    assert all(assignment.value.variables == () for assignment in spec.assignments)
