"""The grammar: which expressions it accepts, the trees it builds, what it refuses and where it points."""

from __future__ import annotations

import string
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing import grammar
from derivcli.parsing.grammar import FUNCTION_ARITY, KNOWN_FUNCTIONS, parse_expression
from derivcli.parsing.tree import Call, Constant, Negate, Number, Power, Sum, Variable, node_text


def refusal(text: str) -> DerivError:
    with pytest.raises(DerivError) as caught:
        parse_expression(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "variables"),
    [
        ("6*x**2+2*x+4", ("x",)),
        ("6x^2 + 2x + 4", ("x",)),
        ("3(x+1)", ("x",)),
        ("2sin(x)", ("x",)),
        ("2pi*r", ("r",)),
        ("u*v + (u*v)**2", ("u", "v")),
        ("theta + t + w1", ("theta", "t", "w1")),
        ("-x**2", ("x",)),
        ("+x", ("x",)),
        ("1.5e-3*x + .5 + 2.", ("x",)),
        ("atan2(y, x)", ("y", "x")),
        ("log(x, 2) + log(x)", ("x",)),
        ("max(a, b, c) + min(a, b)", ("a", "b", "c")),
        ("heaviside(x) + relu(x) + sigmoid(x) + softplus(x) + erf(x) + abs(x)", ("x",)),
        ("x\u2212y \u00d7 z \u00b7 w", ("x", "y", "z", "w")),
        ("x\u00b2 + y\u00b3", ("x", "y")),
        ("  x  ", ("x",)),
        ("pi + E + e", ()),
        ("1_000 * x", ("x",)),
    ],
)
def test_accepted_expressions_and_their_variables(text: str, variables: tuple[str, ...]) -> None:
    assert parse_expression(text).variables == variables


def test_numbers_are_exact() -> None:
    tree = parse_expression("0.1").tree
    assert tree == Number(Fraction(1, 10), "0.1", 1)


def test_e_is_the_constant_and_ex_is_a_variable() -> None:
    assert parse_expression("e").tree == Constant("E", 1)
    assert parse_expression("ex").variables == ("ex",)


def test_power_is_right_associative() -> None:
    tree = parse_expression("2^3^2").tree
    assert isinstance(tree, Power)
    assert isinstance(tree.exponent, Power)


def test_subtraction_is_flagged_in_a_flat_sum() -> None:
    tree = parse_expression("a - b + c - d").tree
    assert isinstance(tree, Sum)
    assert [negative for negative, _ in tree.terms] == [False, True, False, True]


def test_long_sums_stay_flat() -> None:
    tree = parse_expression("+".join(["x"] * 3000)).tree
    assert isinstance(tree, Sum)
    assert len(tree.terms) == 3000


def test_unary_minus() -> None:
    assert parse_expression("-x").tree == Negate(Variable("x", 2), 1)


def test_calls_keep_their_arguments() -> None:
    tree = parse_expression("atan2(y, 1)").tree
    assert tree == Call("atan2", (Variable("y", 7), Number(Fraction(1), "1", 10)), 1)


# Each refused form: the error kind, the exact one-line message, and the column it points at.
REFUSED = [
    (
        "x**2 # + 1000*x",
        ErrorKind.NOT_ALLOWED,
        "'#' is not allowed in expression: it would turn the rest into an ignored comment",
        6,
    ),
    (
        "__import__('os').getcwd()",
        ErrorKind.NOT_ALLOWED,
        "attribute access is not allowed: \"__import__('os').getcwd\"",
        1,
    ),
    ("__import__('os')", ErrorKind.NOT_ALLOWED, "names starting with '__' are not allowed: '__import__'", 1),
    ("x.__class__", ErrorKind.NOT_ALLOWED, "attribute access is not allowed: 'x.__class__'", 1),
    ("x[0]", ErrorKind.NOT_ALLOWED, "subscripts are not allowed: 'x[0]'", 1),
    ("'abc'", ErrorKind.NOT_ALLOWED, "strings are not allowed", 1),
    ("x < 1", ErrorKind.NOT_ALLOWED, "comparisons are not allowed: 'x < 1'", 1),
    ("x == 1", ErrorKind.NOT_ALLOWED, "comparisons are not allowed: 'x == 1'", 1),
    ("lambda: 1", ErrorKind.KEYWORD, "'lambda' is a Python keyword, not allowed in expression", 1),
    ("x if x else 1", ErrorKind.KEYWORD, "'if' is a Python keyword, not allowed in expression", 3),
    ("[x for x in y]", ErrorKind.KEYWORD, "'for' is a Python keyword, not allowed in expression", 4),
    ("x and y", ErrorKind.KEYWORD, "'and' is a Python keyword, not allowed in expression", 3),
    ("(y := 2)", ErrorKind.NOT_ALLOWED, "assignment expressions are not allowed: 'y := 2'", 2),
    ("f'{x}'", ErrorKind.NOT_ALLOWED, "f-strings are not allowed: \"f'{x}'\"", 1),
    ("exec('1')", ErrorKind.UNKNOWN_FUNCTION, "unknown function 'exec'", 1),
    ("eval('1')", ErrorKind.UNKNOWN_FUNCTION, "unknown function 'eval'", 1),
    ("open('f')", ErrorKind.UNKNOWN_FUNCTION, "unknown function 'open'", 1),
    ("globals()", ErrorKind.UNKNOWN_FUNCTION, "unknown function 'globals'", 1),
    ("foo(x)", ErrorKind.UNKNOWN_FUNCTION, "unknown function 'foo'", 1),
    ("2*Sin(x)", ErrorKind.UNKNOWN_FUNCTION, "unknown function 'Sin'", 3),
    ("sin(x, y)", ErrorKind.ARITY, "sin takes 1 argument, got 2", 1),
    ("atan2(x)", ErrorKind.ARITY, "atan2 takes 2 arguments, got 1", 1),
    ("log()", ErrorKind.ARITY, "log takes 1 or 2 arguments, got 0", 1),
    ("max(x)", ErrorKind.ARITY, "max takes at least 2 arguments, got 1", 1),
    ("sin(x=1)", ErrorKind.NOT_ALLOWED, "keyword arguments are not allowed", 7),
    ("sin(*x)", ErrorKind.NOT_ALLOWED, "starred expressions are not allowed: '*x'", 5),
    ("2*sin", ErrorKind.SYNTAX, "'sin' is a function: call it as sin(...)", 3),
    ("x % 2", ErrorKind.NOT_ALLOWED, "operator '%' is not allowed", 3),
    ("x // 2", ErrorKind.NOT_ALLOWED, "operator '//' is not allowed", 3),
    ("x @ y", ErrorKind.NOT_ALLOWED, "operator '@' is not allowed", 3),
    ("~x", ErrorKind.NOT_ALLOWED, "operator '~' is not allowed", 1),
    ("x, y", ErrorKind.NOT_ALLOWED, "tuples (top-level commas) are not allowed: 'x, y'", 1),
    ("True", ErrorKind.KEYWORD, "'True' is a Python keyword, not allowed in expression", 1),
    ("None", ErrorKind.KEYWORD, "'None' is a Python keyword, not allowed in expression", 1),
    ("x(x+1)", ErrorKind.UNKNOWN_FUNCTION, "unknown function 'x'", 1),
    (
        "(x+1)(x-1)",
        ErrorKind.NOT_ALLOWED,
        "only named functions can be called: 'x+1'; to multiply, write '*' before '('",
        2,
    ),
    ("0x1F", ErrorKind.BAD_NUMBER, "hexadecimal, octal and binary numbers are not supported", 1),
    ("1e999", ErrorKind.BAD_NUMBER, "number '1e999' is too large: it overflows float64", 1),
    ("x + 1e-999", ErrorKind.BAD_NUMBER, "number '1e-999' is too small: it underflows float64 to zero", 5),
    ("1e9999999999", ErrorKind.BAD_NUMBER, "number '1e9999999999' is out of float64 range", 1),
    (
        "9" * 400,
        ErrorKind.BAD_NUMBER,
        f"number '{'9' * 20}...' (400 characters) is too large: it overflows float64",
        1,
    ),
    (
        "9" * 9000 + "*x",
        ErrorKind.BAD_NUMBER,
        f"number '{'9' * 20}...' (9,000 characters) is too large: it overflows float64",
        1,
    ),
    ("x +", ErrorKind.SYNTAX, "unexpected end of expression", 4),
    ("sin(x", ErrorKind.SYNTAX, "'(' was never closed", 4),
    ("x + )", ErrorKind.SYNTAX, "unmatched ')'", 5),
    ("x y", ErrorKind.SYNTAX, "invalid syntax", 3),
    ("*x", ErrorKind.SYNTAX, "invalid syntax", 1),
    ("", ErrorKind.SYNTAX, "expression is empty", 1),
    ("   ", ErrorKind.SYNTAX, "expression is empty", 1),
    ("$(rm -rf /)", ErrorKind.SYNTAX, "invalid syntax", 1),
    ("`id`", ErrorKind.SYNTAX, "invalid syntax", 1),
    ("x; import os", ErrorKind.KEYWORD, "'import' is a Python keyword, not allowed in expression", 4),
    (
        "\u0445 + x",
        ErrorKind.NON_ASCII,
        "character U+0445 CYRILLIC SMALL LETTER HA ('\u0445') is not allowed in expression",
        1,
    ),
    (
        "\uff58",
        ErrorKind.NON_ASCII,
        "character U+FF58 FULLWIDTH LATIN SMALL LETTER X ('\uff58') is not allowed in expression",
        1,
    ),
    ("x\u200b", ErrorKind.NON_ASCII, "character U+200B ZERO WIDTH SPACE is not allowed in expression", 2),
    ("x\x00", ErrorKind.NON_ASCII, "character U+0000 is not allowed in expression", 2),
    ("x\x1b[2J", ErrorKind.NON_ASCII, "character U+001B is not allowed in expression", 2),
    ("-" * 150 + "x", ErrorKind.TOO_DEEP, "expression is nested more than 100 levels deep", 102),
    ("x" * 10_001, ErrorKind.TOO_LONG, "expression is 10,001 characters long; the limit is 10,000", None),
]


@pytest.mark.parametrize(("text", "kind", "message", "column"), REFUSED)
def test_refused_forms(text: str, kind: ErrorKind, message: str, column: int | None) -> None:
    error = refusal(text)
    assert (error.kind, error.message, error.column) == (kind, message, column)
    assert "\n" not in error.describe()


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("foo(x)", f"the functions are {KNOWN_FUNCTIONS}"),
        # A look-alike is never suggested: it would change the meaning (expp is not exp, cot was not cos).
        ("expp(x)", f"the functions are {KNOWN_FUNCTIONS}"),
        ("sgn(x)", f"the functions are {KNOWN_FUNCTIONS}"),
        ("sign(x)", f"the functions are {KNOWN_FUNCTIONS}"),
        ("Sin(x)", "did you mean 'sin'? (names are case-sensitive)"),
        ("arctan(x)", "write 'atan'"),
        ("x(x+1)", "to multiply, write x*(...)"),
    ],
)
def test_unknown_functions_get_a_hint_of_the_same_meaning_or_the_list(text: str, hint: str) -> None:
    error = refusal(text)
    assert error.hint == hint
    assert error.describe().endswith(f" (column 1); {hint}")


def test_new_names_are_functions() -> None:
    for text in (
        "sec(x)",
        "csc(x)",
        "cot(x)",
        "asec(x)",
        "acsc(x)",
        "acot(x)",
        "sech(x)",
        "csch(x)",
        "coth(x)",
    ):
        assert parse_expression(text).variables == ("x",)
    assert node_text(parse_expression("ln(x)").tree) == "log(x)"
    assert node_text(parse_expression("root(x, 5) + cbrt(x)").tree) == "root(x, 5) + cbrt(x)"


def test_caret_length_covers_the_offending_text() -> None:
    error = refusal("1 + x.real")
    assert (error.column, error.length) == (5, 6)


def test_deep_parentheses_are_refused_without_recursion_error() -> None:
    error = refusal("(" * 300 + "x" + ")" * 300)
    assert error.kind is ErrorKind.SYNTAX


def test_every_function_is_accepted_with_its_arity() -> None:
    for name, (low, _) in FUNCTION_ARITY.items():
        args = ", ".join(["x"] * low)
        assert isinstance(parse_expression(f"{name}({args})").tree, Call)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=string.printable + "\u2212\u00b2\u00d7\u0445\x00", max_size=40))
def test_parser_raises_only_deriv_errors_on_random_text(text: str) -> None:
    try:
        parse_expression(text)
    except DerivError as error:
        message = error.message
    else:
        return
    assert "\n" not in message


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="x+-*/^()0123456789.e sincoplg,", max_size=30))
def test_parser_raises_only_deriv_errors_on_mathlike_text(text: str) -> None:
    try:
        parse_expression(text)
    except DerivError as error:
        column = error.column
    else:
        return
    assert column is None or 1 <= column <= len(text) + 1


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        (
            "x\u00b2\u00b3",
            "consecutive superscripts are ambiguous: write the power with ** or ^ in expression",
            2,
        ),
        ("3e-x", "malformed number '3e-': an exponent needs digits", 1),
        ("x/0", "division by zero", 3),
        ("x/0.0 + 1", "division by zero", 3),
    ],
)
def test_ambiguous_or_undefined_forms(text: str, message: str, column: int) -> None:
    error = refusal(text)
    assert (error.message, error.column) == (message, column)


def test_more_than_the_limit_of_distinct_variables_is_refused() -> None:
    from derivcli.parsing.grammar import MAX_VARIABLES

    assert len(parse_expression("+".join(f"v{index}" for index in range(MAX_VARIABLES))).variables) == 100
    with pytest.raises(DerivError) as caught:
        parse_expression("+".join(f"v{index}" for index in range(MAX_VARIABLES + 1)))
    assert (caught.value.kind, caught.value.message) == (
        ErrorKind.TOO_LARGE,
        "expression has 101 distinct variables; the limit is 100",
    )


def test_refusals_come_without_pythons_warnings() -> None:
    # ast.parse warns about an invalid escape in a string (a SyntaxWarning from Python 3.12 on), which
    # would be a second message on stderr before deriv's refusal.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        error = refusal('"\\{"')
    assert (error.kind, error.message) == (ErrorKind.NOT_ALLOWED, "strings are not allowed")


def _outcome(parse: object, text: str) -> object:
    """What parsing ``text`` gives: the parsed expression, or the refusal's kind, message and place."""
    try:
        return parse(text)  # type: ignore[operator]
    except DerivError as error:
        return (error.kind, str(error), error.column, error.length)


_LITERALS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{0,4})?([eE][-+]?[0-9]{1,7})?", fullmatch=True),
    st.sampled_from(["0", "-0", "0.", "00", "007", "007.5", "1_000", "1e999999999", ".5", "-.5", "5j", " 3"]),
)


@settings(max_examples=400, deadline=None)
@given(_LITERALS)
def test_a_plain_number_parses_as_the_full_parser_reads_it(text: str) -> None:
    # Plain literals skip Python's parser; the tree, or the refusal, must be the one it gives.
    def in_full(value: str) -> object:
        return grammar._parse_in_full(value, what="expression", allow_variables=True)

    assert _outcome(parse_expression, text) == _outcome(in_full, text)


def test_a_negative_literal_is_a_negated_number() -> None:
    parsed = parse_expression("-0.604")
    assert parsed.tree == Negate(Number(Fraction(151, 250), "0.604", 2), 1)
    assert parsed.variables == ()


def test_parsed_expressions_hash_by_their_text() -> None:
    first, second = parse_expression("x**2 + sin(3*x)"), parse_expression("x**2 + sin(3*x)")
    assert first == second
    assert first is not second
    assert hash(first) == hash(second) == hash(("x**2 + sin(3*x)", ("x",)))
