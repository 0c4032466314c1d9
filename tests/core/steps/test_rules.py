"""The derivation rule by rule: every rule's result equals sympy.diff, for every function of the syntax."""

from __future__ import annotations

import math

import pytest
import sympy
from hypothesis import HealthCheck, given, settings

from derivcli.core.steps.rules import RuleStep, derive
from derivcli.core.symbolic.build import build
from derivcli.parsing.grammar import FUNCTION_ARITY, parse_expression
from tests.system.test_properties import safe_expressions

#: Where the derivatives are compared: away from the kinks and domain edges of the expressions below.
_SAMPLES = (0.3, 0.55, 0.83, 1.7, 2.5, -0.4, -0.77, -1.6)


def steps_of(text: str, variable: str = "x") -> tuple[RuleStep, ...]:
    parsed = parse_expression(text)
    built = build(parsed, extra_variables=(variable,))
    return derive(parsed.tree, variable=variable, symbols=built.symbols)


def equal_to_diff(text: str, variable: str = "x") -> int:
    """Compare the steps' result with sympy.diff at the samples; returns how many samples were real."""
    parsed = parse_expression(text)
    built = build(parsed, extra_variables=(variable,))
    steps = derive(parsed.tree, variable=variable, symbols=built.symbols)
    expected = sympy.diff(built.expr, built.symbols[variable])
    compared = 0
    for sample in _SAMPLES:
        point = {
            symbol: sympy.Rational(sample).limit_denominator(1000) + index
            for index, symbol in enumerate(built.symbols.values())
        }
        ours, theirs = (complex(expr.xreplace(point).evalf(30)) for expr in (steps[0].derivative, expected))
        if not all(math.isfinite(value.real) and abs(value.imag) < 1e-25 for value in (ours, theirs)):
            continue
        compared += 1
        assert ours.real == pytest.approx(theirs.real, rel=1e-20, abs=1e-25), (text, sample)
    return compared


def argument_for(name: str) -> str:
    """A call of the function whose arguments vary with x: a chain rule (or several) inside."""
    low, _ = FUNCTION_ARITY[name]
    if name == "root":
        return "root(x**3/5 + x, 3)"
    if name == "log":
        return "log(x**2 + 1, 3)"
    inner = ["x**2/9 + 1/2", "x/3 + 2", "x**2 + 1"][: max(low, 1)]
    return f"{name}({', '.join(inner)})"


@pytest.mark.parametrize("name", sorted(FUNCTION_ARITY))
def test_every_function_has_a_rule_equal_to_diff(name: str) -> None:
    text = argument_for(name)
    steps = steps_of(text)
    assert "unknown" not in {step.rule for step in steps}
    assert name in {step.rule for step in steps}
    assert equal_to_diff(text) >= 1


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("6*x**2+2*x+4", ["sum", "constant multiple", "power", "constant multiple", "variable", "constant"]),
        ("sqrt(x**2)", ["chain", "sqrt", "power"]),
        ("sin(x**2)*exp(x)", ["product", "chain", "sin", "power", "exp"]),
        ("x/(1+x)", ["quotient", "variable", "sum", "constant", "variable"]),
        ("2**x", ["exponential"]),
        ("2**(3*x)", ["chain", "exponential", "constant multiple", "variable"]),
        ("x**x", ["general power", "variable", "variable"]),
        ("atan2(x, x**2)", ["multivariable chain", "atan2", "variable", "atan2", "power"]),
        ("-x", ["constant multiple", "variable"]),
        ("x*y/z", ["constant multiple", "variable"]),
        ("x*x*x", ["product", "variable", "variable", "variable"]),
        ("x*y/x", ["quotient", "constant multiple", "variable", "variable"]),
    ],
)
def test_rules_in_tree_order(text: str, rules: list[str]) -> None:
    assert [step.rule for step in steps_of(text)] == rules
    assert equal_to_diff(text) >= 1


def test_a_chain_rule_names_its_inner_function() -> None:
    chain, outer, inner = steps_of("sqrt(x**2)")
    assert (chain.let, chain.parent, outer.parent, inner.parent) == ("u = x**2", None, 0, 0)
    assert (outer.text, str(outer.by), str(outer.derivative)) == ("sqrt(u)", "u", "1/(2*sqrt(u))")
    assert outer.argument == inner.node


def test_placeholders_avoid_the_variables() -> None:
    chain, outer, *_ = steps_of("sin(u*x)", variable="x")
    assert chain.let == "v = u*x"
    assert outer.text == "sin(v)"


def test_partial_sums_and_products_are_part_of_their_step() -> None:
    (total, *_) = steps_of("x + x**2 + x**3")
    assert [type(part).__name__ for part in total.parts] == ["Sum"]


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(safe_expressions())
def test_random_expressions_derive_to_diff(text: str) -> None:
    steps = steps_of(text)
    assert "unknown" not in {step.rule for step in steps}
    # Each parent before its children, ids in order.
    assert [step.id for step in steps] == list(range(len(steps)))
    assert all(step.parent is None or step.parent < step.id for step in steps)
    equal_to_diff(text)
