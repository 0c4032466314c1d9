"""The rewrite table on parse trees: each rule where it applies, and nowhere else."""

from __future__ import annotations

import pytest

from derivcli.core.bits.rewrites import RULES, candidates
from derivcli.parsing.grammar import parse_expression


def _texts(text: str) -> list[str]:
    return [item.text for item in candidates(parse_expression(text))]


@pytest.mark.parametrize(
    ("written", "rewritten"),
    [
        ("log(1+exp(x))", ["softplus(x)", "log1p(exp(x))"]),
        ("log(x+1)", ["log1p(x)"]),
        ("(exp(x)-1)/x", ["expm1(x)/x"]),
        ("-1 + exp(2*x)", ["expm1(2*x)"]),
        ("1/(1+exp(-x))", ["sigmoid(x)"]),
        ("(1+exp(-y))**-1", ["sigmoid(y)"]),
        ("1/(1+exp(x))", ["sigmoid(-x)"]),
        ("log(sigmoid(x))", ["logsigmoid(x)"]),
        ("sqrt(x*x+1)", ["hypot(x, 1)"]),
        ("sqrt(x**2+y**2)", ["hypot(x, y)"]),
        ("(x**2+4)**0.5", ["hypot(x, 2)"]),
        ("sqrt(x**2+2)", ["hypot(x, sqrt(2))"]),
        ("log(exp(x)+exp(2*x))", ["logaddexp(x, 2*x)"]),
    ],
)
def test_each_rule(written: str, rewritten: list[str]) -> None:
    assert _texts(written) == rewritten


def test_one_place_at_a_time_then_everywhere() -> None:
    assert _texts("log(x+1)*(exp(2*x)-1)") == [
        "log1p(x)*(exp(2*x) - 1)",
        "log(x + 1)*expm1(2*x)",
        "log1p(x)*expm1(2*x)",
    ]


@pytest.mark.parametrize(
    "written", ["x**2", "log(2+x)", "exp(x)-2", "sqrt(x**2-y**2)", "log(x, 1+x)", "1/(2+exp(-x))"]
)
def test_shapes_that_do_not_match(written: str) -> None:
    assert _texts(written) == []


def test_every_rule_names_its_shape() -> None:
    assert all("->" in rule.name for rule in RULES)
    assert len({rule.name for rule in RULES}) == len(RULES) == 7
