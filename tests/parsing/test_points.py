"""Point, range and count values of the command line: what they accept, what they refuse, where they point."""

from __future__ import annotations

from fractions import Fraction

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.points import parse_count, parse_point, parse_range
from derivcli.parsing.tree import Negate, Number


@pytest.mark.parametrize(
    ("text", "names"),
    [("x=3", ["x"]), ("3", [None]), ("u=1,v=2", ["u", "v"]), ("x=atan2(1, 2), y=-1e-3", ["x", "y"])],
)
def test_point_specs(text: str, names: list[str | None]) -> None:
    assert [assignment.name for assignment in parse_point(text).assignments] == names


def test_point_values_are_exact_constants() -> None:
    (assignment,) = parse_point("x=-1e-3").assignments
    assert assignment.value.tree == Negate(Number(Fraction(1, 1000), "1e-3", 2), 1)


def test_symbolic_point_values_keep_their_names() -> None:
    (assignment,) = parse_point("x=2*a+b", symbolic=True).assignments
    assert (assignment.names, assignment.text) == (("a", "b"), "2*a+b")
    (number,) = parse_point("x=pi/4", symbolic=True).assignments
    assert number.names == ()


def test_names_outside_eval_are_refused_with_a_hint() -> None:
    with pytest.raises(DerivError) as caught:
        parse_point("x=a")
    assert caught.value.hint == "a symbolic point such as --at x=a is for 'deriv eval' and 'deriv partial'"
    # Even where names are welcome, inf and nan are numbers, not names.
    with pytest.raises(DerivError) as refused:
        parse_point("x=inf", symbolic=True)
    assert (refused.value.kind, refused.value.hint) == (ErrorKind.BAD_NUMBER, None)


POINT_REFUSALS = [
    ("x=y", ErrorKind.BAD_POINT, "point value must be a constant, but 'y' is a variable in --at 'x=y'", 3),
    ("x=inf", ErrorKind.BAD_NUMBER, "'inf' is not a finite number in --at 'x=inf'", 3),
    ("x=nan", ErrorKind.BAD_NUMBER, "'nan' is not a finite number in --at 'x=nan'", 3),
    (
        "x=1e400",
        ErrorKind.BAD_NUMBER,
        "number '1e400' is too large: it overflows float64 in --at 'x=1e400'",
        3,
    ),
    ("x=3,x=4", ErrorKind.BAD_POINT, "x is given twice in --at 'x=3,x=4'", 5),
    ("sin=3", ErrorKind.SYNTAX, "'sin' is a function: call it as sin(...)", 1),
    ("pi=3", ErrorKind.BAD_POINT, "'pi' is a constant, not a variable", 1),
    ("1,2", ErrorKind.BAD_POINT, "expected name=value in --at '1,2'", 1),
    ("x=", ErrorKind.SYNTAX, "point value is empty in --at 'x='", 3),
    (
        "x=__import__('os')",
        ErrorKind.NOT_ALLOWED,
        "names starting with '__' are not allowed: '__import__' in --at \"x=__import__('os')\"",
        3,
    ),
]


@pytest.mark.parametrize(("text", "kind", "message", "column"), POINT_REFUSALS)
def test_point_refusals(text: str, kind: ErrorKind, message: str, column: int) -> None:
    with pytest.raises(DerivError) as caught:
        parse_point(text)
    assert (caught.value.kind, caught.value.message, caught.value.column) == (kind, message, column)


def test_non_ascii_in_a_point_is_named() -> None:
    with pytest.raises(DerivError) as caught:
        parse_point("\uff58=1")
    assert (
        caught.value.message
        == "character U+FF58 FULLWIDTH LATIN SMALL LETTER X ('\uff58') is not allowed in --at"
    )


# --range and point counts (deriv grid)


def test_parse_range_reads_constant_ends() -> None:
    spec = parse_range("x=-pi:pi")
    assert (spec.name, spec.start.text, spec.stop.text, spec.num) == ("x", "-pi", "pi", None)
    assert spec.start.option == "--range"


def test_parse_range_with_its_own_count() -> None:
    assert parse_range(" theta = 0 : 2*pi : 1e3 ").num == 1000


@pytest.mark.parametrize(
    ("text", "kind", "message", "column"),
    [
        ("x", ErrorKind.BAD_RANGE, "expected name=start:stop in --range 'x', e.g. --range x=-10:10", 1),
        ("x=1", ErrorKind.BAD_RANGE, "expected x=start:stop or x=start:stop:num in --range 'x=1'", 3),
        (
            "x=1:2:3:4",
            ErrorKind.BAD_RANGE,
            "expected x=start:stop or x=start:stop:num in --range 'x=1:2:3:4'",
            3,
        ),
        (
            "x=1:2:0",
            ErrorKind.BAD_RANGE,
            "the number of points in --range 'x=1:2:0' must be from 1 to 1e+12, got 0",
            7,
        ),
        (
            "x=1:2:1.5",
            ErrorKind.BAD_RANGE,
            "expected a whole number of points in --range 'x=1:2:1.5', got '1.5'",
            7,
        ),
        ("x=1:(2", ErrorKind.SYNTAX, "'(' was never closed in --range 'x=1:(2'", 5),
        ("sin=0:1", ErrorKind.SYNTAX, "'sin' is a function: call it as sin(...)", 1),
        ("x=0:foo(1)", ErrorKind.UNKNOWN_FUNCTION, "unknown function 'foo' in --range 'x=0:foo(1)'", 5),
    ],
)
def test_parse_range_refusals(text: str, kind: ErrorKind, message: str, column: int) -> None:
    with pytest.raises(DerivError) as caught:
        parse_range(text)
    assert (caught.value.kind, caught.value.message, caught.value.column) == (kind, message, column)


@pytest.mark.parametrize(
    ("text", "count"), [("1", 1), ("101", 101), ("1e8", 10**8), ("1_000_000", 10**6), ("2E3", 2000)]
)
def test_parse_count(text: str, count: int) -> None:
    assert parse_count(text, option="--num") == count


@pytest.mark.parametrize("text", ["0", "-3", "1.5", "1e13", "ten", "", "1e-3"])
def test_parse_count_refusals(text: str) -> None:
    with pytest.raises(DerivError) as caught:
        parse_count(text, option="--num")
    assert caught.value.kind is ErrorKind.BAD_OPTION
    assert "--num" in caught.value.message
