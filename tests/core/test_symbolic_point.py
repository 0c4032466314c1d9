"""A symbolic point: f, the derivatives and the tangent as expressions in the point's names."""

from __future__ import annotations

import pytest
import sympy

from derivcli.core.symbolic_point import symbolic_coordinate, symbolic_point_note, symbolic_point_report
from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.points import parse_point

x, a = sympy.Symbol("x", real=True), sympy.Symbol("a", real=True)


def coordinate(text: str) -> sympy.Expr:
    (assignment,) = parse_point(text, symbolic=True).assignments
    return symbolic_coordinate(assignment, name="x")


def test_coordinates_are_real_symbols() -> None:
    assert coordinate("x=2*a+1") == 2 * a + 1
    assert coordinate("x=a").is_real is True


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("x=a/0", ErrorKind.BAD_NUMBER, "division by zero in --at 'x=a/0'"),
        ("x=sqrt(-1)*a", ErrorKind.BAD_POINT, "x=sqrt(-1)*a is not real in --at 'x=sqrt(-1)*a'"),
    ],
)
def test_coordinates_that_are_not_real_numbers(text: str, kind: ErrorKind, message: str) -> None:
    with pytest.raises(DerivError) as caught:
        coordinate(text)
    assert (caught.value.kind, caught.value.message) == (kind, message)


def report(expr: sympy.Expr, point: sympy.Expr, *, tangent: bool = True):  # type: ignore[no-untyped-def]
    derivative = sympy.diff(expr, x)
    return symbolic_point_report(
        expr=expr,
        derivatives={"x": derivative},
        shown={"x": str(derivative)},
        point={x: point},
        at_input={"x": str(point)},
        tangent=tangent,
    )


def test_the_report_has_expressions_and_no_numbers() -> None:
    point = report(6 * x**2 + 2 * x + 4, a)
    entry = point.derivatives["x"]
    assert (entry.exact, entry.symbolic, entry.autograd, entry.symbolic_value, entry.agree) == (
        "12*a + 2",
        "12*x + 2",
        None,
        None,
        None,
    )
    assert (point.value, point.value_exact, point.at, point.at_exact, point.symbolic) == (
        None,
        "6*a**2 + 2*a + 4",
        {"x": None},
        {"x": "a"},
        True,
    )


@pytest.mark.parametrize(
    ("expr", "point", "line"),
    [
        (x**2, a, "2*a*x - a**2"),
        (x**3, a, "3*a**2*x - 2*a**3"),
        (sympy.exp(x), a, "x*exp(a) + (1 - a)*exp(a)"),
        (1 / x, a, "-x/a**2 + 2/a"),
        (x, a, "x"),
        (sympy.Integer(5), a, "5"),
    ],
)
def test_tangent_lines(expr: sympy.Expr, point: sympy.Expr, line: str) -> None:
    tangent = report(expr, point).tangent
    assert tangent is not None
    assert (tangent.exact, tangent.slope, tangent.intercept) == (line, None, None)


def test_no_tangent_where_f_is_undefined() -> None:
    assert report(1 / x, 0 * a).tangent is None
    assert report(x**2, a, tangent=False).tangent is None


def test_one_note_for_all_symbolic_points() -> None:
    assert symbolic_point_note([{"x": "a"}, {"x": "b"}, {"x": "2*c"}]) == (
        "x=a, x=b and x=2*c are symbolic points: autograd computes with numbers,"
        " so only the symbolic side answers there"
    )
