"""Building SymPy expressions from parsed trees: real symbols, exactness, refusals."""

from __future__ import annotations

import pytest
import sympy

from derivcli.core.symbolic.build import SymbolicExpression
from derivcli.core.symbolic.build import build as build_expression
from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.grammar import parse_expression


def build(text: str) -> SymbolicExpression:
    return build_expression(parse_expression(text))


def test_build_uses_real_symbols() -> None:
    built = build("sqrt(x**2)")
    assert built.symbols["x"].is_real
    assert built.expr == sympy.Abs(built.symbols["x"])


def test_build_is_exact() -> None:
    assert build("0.1 + 0.2").expr == sympy.Rational(3, 10)


@pytest.mark.parametrize(
    "text", ["9**9**9", "10**10**10", "2**2**2**2**2**2**2", "sqrt(2)**(10**10)", "(1/3)**1000000"]
)
def test_gigantic_constant_powers_are_refused(text: str) -> None:
    with pytest.raises(DerivError) as caught:
        build(text)
    assert caught.value.kind is ErrorKind.TOO_LARGE
    assert "too large to compute exactly" in caught.value.message


def test_large_but_reasonable_powers_are_exact() -> None:
    assert build("2**1000").expr == sympy.Integer(2) ** 1000


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("log(x, 1)", "the base of a logarithm must be positive and not 1, got 1", 8),
        ("log(x, 0)", "the base of a logarithm must be positive and not 1, got 0", 8),
        ("log(x, -2)", "the base of a logarithm must be positive and not 1, got -2", 8),
        ("x/0", "division by zero", 3),
        ("x/(x - x)", "division by zero", 4),
        ("0**-1 + x", "division by zero (0 to a negative power)", 1),
    ],
)
def test_undefined_expressions_are_refused(text: str, message: str, column: int) -> None:
    with pytest.raises(DerivError) as caught:
        build(text)
    assert (caught.value.kind, caught.value.message, caught.value.column) == (
        ErrorKind.BAD_NUMBER,
        message,
        column,
    )


_REAL_ROOTS = "cbrt(x) and root(x, n) are the real roots of a negative number"


@pytest.mark.parametrize(
    ("text", "part", "hint"),
    [
        ("relu(x + acos(2))", "acos(2)", None),
        ("abs(x) + x*asin(3)", "asin(3)", None),
        ("hypot(acos(2), x)", "acos(2)", None),
        ("x + (-8)**(1/3)", "2*(-1)**(1/3)", _REAL_ROOTS),
    ],
)
def test_a_constant_part_that_is_not_real_is_refused(text: str, part: str, hint: str | None) -> None:
    # SymPy keeps acos(2) as it is (no I to find), and differentiating relu of it would fail inside SymPy.
    with pytest.raises(DerivError) as caught:
        build(text)
    assert (caught.value.kind, caught.value.message, caught.value.hint) == (
        ErrorKind.BAD_NUMBER,
        f"the expression is not real: {part} is not a real number",
        hint,
    )


@pytest.mark.parametrize("text", ["x + acos(2)**2", "x*acos(1/2)", "cbrt(-8) + x", "abs(acos(2)) * x"])
def test_a_constant_part_that_is_real_as_a_whole_is_kept(text: str) -> None:
    assert build(text).expr.free_symbols


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        (
            "10**25000*10**25000*x",
            "'10**25000*10**25000*x' is too large to compute exactly"
            " (about 5e+04 digits; the limit is 30,102)",
            1,
        ),
        (
            "x + 10**25000*10**25000",
            "'10**25000*10**25000' is too large to compute exactly (about 5e+04 digits; the limit is 30,102)",
            5,
        ),
    ],
)
def test_products_of_big_literals_are_refused(text: str, message: str, column: int) -> None:
    # Each literal is within the limit; the exact product SymPy folds them into is not.
    with pytest.raises(DerivError) as caught:
        build_expression(parse_expression(text))
    assert (caught.value.kind, caught.value.message, caught.value.column) == (
        ErrorKind.TOO_LARGE,
        message,
        column,
    )


def test_a_quotient_of_big_literals_is_small_again() -> None:
    assert str(build_expression(parse_expression("10**25000/10**25000*x")).expr) == "x"
