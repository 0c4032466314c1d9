"""Rewrites are listed only when proved equal, and only when they help at the point."""

from __future__ import annotations

import sympy

from derivcli.core.bits.measure import _equal, measure, proved_rewrites, symbolic_in_dtype
from derivcli.core.symbolic.build import build, differentiate
from derivcli.parsing.grammar import parse_expression


def test_equal_at_fifty_digits_or_not() -> None:
    assert _equal(parse_expression("log(1+x)"), parse_expression("log1p(x)"), ("x",))
    assert _equal(parse_expression("sqrt(x*x+y*y)"), parse_expression("hypot(x, y)"), ("x", "y"))
    assert not _equal(parse_expression("log(1+x)"), parse_expression("log1p(2*x)"), ("x",))
    # Agreeing to 15 digits is not enough.
    assert not _equal(parse_expression("exp(x)"), parse_expression("exp(x)*(1 + 10**-20)"), ("x",))


def test_proved_rewrites_of_a_table_entry() -> None:
    assert [item.text for item in proved_rewrites(parse_expression("log(1+exp(x))"), ("x",))] == [
        "softplus(x)",
        "log1p(exp(x))",
    ]


def test_a_rewrite_that_does_not_help_here_is_not_listed() -> None:
    parsed = parse_expression("log(1+exp(x))")
    built = build(parsed)
    derivative = differentiate(built.expr, built.symbols["x"])
    # At 1 nothing overflows: autograd is already right, so nothing is offered.
    measured = measure(
        parsed=parsed,
        built=built,
        variables=("x",),
        derivative=derivative,
        key=("x",),
        at={"x": 1.0},
        autograd=0.7310585786300049,
        dtype="float64",
        device="cpu",
    )
    assert measured.bits.autograd == 0.0
    assert (measured.bits.culprit, measured.rewrites) == (None, ())


def test_symbolic_derivative_in_the_dtype() -> None:
    x = sympy.Symbol("x", real=True)
    assert (
        symbolic_in_dtype(sympy.exp(x) / (sympy.exp(x) + 1), {"x": 100.0}, dtype="float32", device="cpu")
        != 1.0
    )
    assert (
        symbolic_in_dtype(sympy.exp(x) / (sympy.exp(x) + 1), {"x": 100.0}, dtype="float64", device="cpu")
        == 1.0
    )
