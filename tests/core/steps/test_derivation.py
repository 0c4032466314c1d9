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


@pytest.mark.parametrize(
    ("text", "point"),
    [("sin(max(log(x), 2))", "0"), ("exp(min(acos(x), 3))", "2"), ("root(min(log1p(x), 2), 3)", "-1")],
)
def test_an_argument_without_a_value_is_outside_the_domain(text: str, point: str) -> None:
    # SymPy cannot order complex infinity or a complex number in max/min: the step has no exact value.
    report = steps(text, point)
    assert report.first_divergence is not None
    assert report.first_divergence.reason is Divergence.DOMAIN


@pytest.mark.parametrize(
    ("text", "point", "start"),
    [
        (
            "acot(x)",
            "0",
            "AtanBackward0 and MulBackward0 and ReciprocalBackward0 form nan from an intermediate inf",
        ),
        ("sech(x)", "1000", "MulBackward0 and ReciprocalBackward0 and CoshBackward0 form nan"),
    ],
)
def test_nan_inside_one_step_is_not_called_rounding(text: str, point: str, start: str) -> None:
    divergence = steps(text, point).first_divergence
    assert divergence is not None
    assert divergence.reason is Divergence.ZERO_TIMES_INFINITY
    assert divergence.detail.startswith(start)


def test_a_combination_is_shown_only_when_it_is_autograd_s_arithmetic() -> None:
    # The constant 2 is not among the children: no product of theirs gives autograd's value.
    assert [step.values.combination for step in steps("2*x*sin(x)", "1").steps if step.values] == [None] * 3
    # relu's backward masks: sqrt's inf times relu's 0 would be nan, yet autograd gives 0.
    masked = steps("sqrt(relu(x)*0)", "0").steps[0].values
    assert masked is not None
    assert masked.combination is None
    formed = steps("x**2*exp(-x)", "2").steps[0].values
    assert formed is not None
    assert formed.combination == "4*0.1353352832366127 + -0.1353352832366127*4 = 0"


def test_agree_means_every_step_and_the_first_divergence_has_nothing_below_it() -> None:
    report = steps("atan2(x, x)", "0")
    assert not report.agree
    assert report.first_divergence is not None
    assert report.steps[report.first_divergence.step].parent == 0


def test_a_huge_exact_value_in_a_sentence_is_short() -> None:
    divergence = steps("x**2/x", "1e200").first_divergence
    assert divergence is not None
    assert divergence.detail.startswith(
        "x**2 overflows float64 (torch computes inf where the exact value is 1.000e+400)"
    )
