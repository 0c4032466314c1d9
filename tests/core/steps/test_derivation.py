"""Both witnesses at every step, and the first step where they part, with its reason."""

from __future__ import annotations

import math

import pytest

from derivcli.core.steps.derivation import derivation
from derivcli.model.plan import make_plan
from derivcli.model.setup import Mode, Setup
from derivcli.model.steps import Divergence, StepsReport
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


def steps(text: str, *at: str, wrt: tuple[str, ...] = (), latex: bool = False) -> StepsReport:
    plan = make_plan(
        mode=Mode.EVAL, expression=parse_expression(text), points=[parse_point(p) for p in at], wrt=wrt
    )
    return derivation(plan, setup=Setup(), latex=latex)


def test_sqrt_of_a_square_parts_at_the_chain_rule() -> None:
    report = steps("sqrt(x**2)", "0")
    chain, outer, inner = report.steps
    assert [step.rule for step in report.steps] == ["chain", "sqrt", "power"]
    assert outer.values is not None
    assert inner.values is not None
    assert chain.values is not None
    assert (outer.values.nodes, outer.values.autograd, outer.values.agree) == (
        ("SqrtBackward0",),
        math.inf,
        True,
    )
    assert outer.values.argument == "u = 0"
    assert (inner.values.nodes, inner.values.autograd) == (("PowBackward0",), 0.0)
    assert math.isnan(chain.values.autograd)
    assert (chain.values.exact, chain.values.combination, chain.values.agree) == ("0", "inf * 0 = nan", False)
    assert report.first_divergence is not None
    assert (report.first_divergence.step, report.first_divergence.reason) == (
        0,
        Divergence.ZERO_TIMES_INFINITY,
    )
    assert report.first_divergence.detail == (
        "autograd multiplies 0 by inf here (inf * 0 = nan); the exact derivative is 0"
    )


def test_every_rule_is_known_and_the_root_is_the_derivative() -> None:
    report = steps("asin(x)+atan(x)+sinh(x)+abs(x)+heaviside(x)+max(x,1)", "0.5")
    assert "unknown" not in {step.rule for step in report.steps}
    root = report.steps[0].values
    assert root is not None
    assert root.autograd == pytest.approx(1 / math.sqrt(0.75) + 0.8 + math.cosh(0.5) + 1, rel=1e-15)
    assert root.nodes == ("AddBackward0",) * 5
    assert report.first_divergence is None
    assert report.agree


@pytest.mark.parametrize(
    ("text", "point", "step", "reason"),
    [
        ("log(1+exp(x))", "800", 0, Divergence.OVERFLOW),
        ("x*sqrt(x)", "0", 0, Divergence.ZERO_TIMES_INFINITY),
        ("relu(x**2-1)", "1", 1, Divergence.KINK),
        ("relu(x)", "0", 0, Divergence.KINK),
    ],
)
def test_reasons(text: str, point: str, step: int, reason: Divergence) -> None:
    report = steps(text, point)
    assert report.first_divergence is not None
    assert (report.first_divergence.step, report.first_divergence.reason) == (step, reason)
    assert not report.agree


def test_overflow_names_the_subexpression() -> None:
    divergence = steps("log(1+exp(x))", "800").first_divergence
    assert divergence is not None
    assert divergence.detail.startswith(
        "exp(x) overflows float64 (torch computes inf where the exact value is exp(800))"
    )


def test_without_a_point_there_are_no_values() -> None:
    report = steps("sin(x**2)*exp(x)")
    assert [step.rule for step in report.steps] == ["product", "chain", "sin", "power", "exp"]
    assert all(step.values is None for step in report.steps)
    assert report.first_divergence is None
    assert report.at is None
    assert report.steps[1].derivative == "2*x*cos(x**2)"


def test_other_variables_are_constants() -> None:
    report = steps("x*y + y**2", "x=1,y=2", wrt=("x",))
    assert [step.rule for step in report.steps] == ["sum", "constant multiple", "variable", "constant"]
    root = report.steps[0].values
    assert root is not None
    assert (root.autograd, root.exact) == (2.0, "2")


def test_latex() -> None:
    report = steps("x**3", latex=True)
    assert (report.latex, report.steps[0].latex) == ("x^{3}", "3 x^{2}")
