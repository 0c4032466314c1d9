"""The derivation as a tree for people: labels, ASCII guides, LaTeX lines."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from derivcli.core.steps.derivation import derivation
from derivcli.model.plan import make_plan
from derivcli.model.setup import Mode, Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point
from derivcli.render.steps import _exact, _operand, print_steps


def render(text: str, *at: str, encoding: str = "utf-8", latex: bool = False) -> list[str]:
    plan = make_plan(mode=Mode.EVAL, expression=parse_expression(text), points=[parse_point(p) for p in at])
    buffer = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    console = Console(file=buffer, width=200, color_system=None)
    print_steps(derivation(plan, setup=Setup(), latex=latex), console)
    buffer.seek(0)
    return buffer.read().splitlines()


def test_ascii_guides_and_marks() -> None:
    lines = render("sqrt(x**2)", "0", encoding="ascii")
    assert lines[3] == "exact 0, autograd nan (SqrtBackward0), formed as inf * 0 = nan  NO  first divergence"
    assert lines[4] == "+-- sqrt rule: d/du sqrt(u) = 1/(2*sqrt(u))"
    assert lines[5] == "|   at u = 0: exact undefined (complex infinity), autograd inf (SqrtBackward0)  yes"


def test_the_general_rule_beside_its_instance_without_a_point() -> None:
    lines = render("x**2 + sin(x)")
    assert lines[2] == "├── power rule: d/dx x**2 = 2*x  [d/dx x**n = n*x**(n - 1)]"
    # A function's own rule is its formula: not repeated.
    assert lines[3] == "└── sin rule: d/dx sin(x) = cos(x)"


def test_latex_lines() -> None:
    assert render("x**3", latex=True)[-2:] == ["LaTeX: f = x^{3}", "LaTeX: d/dx = 3 x^{2}"]


def test_nodes_of_a_chain_of_sums() -> None:
    lines = render("x + x**2 + x**3", "1")
    assert lines[3] == "exact 6, autograd 6 (AddBackward0 ← AddBackward0)  ✓"


@pytest.mark.parametrize(
    ("expression", "shown"),
    [
        ("x**2", "x**2"),
        ("sqrt(x**2 + 1)", "sqrt(x**2 + 1)"),
        ("2*x", "(2*x)"),
        ("x - 1", "(x - 1)"),
        ("-x", "(-x)"),
        ("x/(1 + x)", "(x/(1 + x))"),
    ],
)
def test_operands_in_parentheses_when_they_bind_looser_than_a_power(expression: str, shown: str) -> None:
    assert _operand(expression) == shown


@pytest.mark.parametrize(
    ("text", "value", "shown"),
    [
        ("0", 0.0, "0"),
        ("1/3", 1 / 3, "1/3 ≈ 0.3333333333333333"),
        ("-16*exp(-2)/25", -0.08661458127143212, "-16*exp(-2)/25 ≈ -0.08661458127143212"),
        ("(1 - sigmoid(3/10))*erf(3/10)*sigmoid(3/10)", 0.0803, "0.0803"),
        ("undefined (complex infinity)", float("nan"), "undefined (complex infinity)"),
        (None, 2.5, "2.5"),
    ],
)
def test_exact_values_beside_their_floats(text: str | None, value: float, shown: str) -> None:
    assert _exact(text, value, unicode=True) == shown
