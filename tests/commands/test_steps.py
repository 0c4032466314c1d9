"""deriv steps end to end in-process: the tree, the JSON steps, the first divergence, refusals."""

from __future__ import annotations

import math
from collections.abc import Callable

from derivcli.errors import ExitStatus
from tests.conftest import Outcome

Run = Callable[..., Outcome]

STEP_KEYS = {
    "id",
    "parent",
    "rule",
    "expression",
    "by",
    "derivative",
    "formula",
    "let",
    "latex",
    "exact",
    "value",
    "node",
    "nodes",
    "autograd",
    "forward",
    "combination",
    "at_argument",
    "agree",
}


def test_sqrt_of_a_square(deriv: Run) -> None:
    outcome = deriv("steps", "sqrt(x**2)", "--at", "0")
    assert outcome.exit_code == ExitStatus.OK
    lines = outcome.stdout.splitlines()
    assert lines[0] == "f(x) = sqrt(x**2)"
    assert lines[2] == "chain rule: d/dx sqrt(x**2) = x/Abs(x), with u = x**2"
    assert lines[3] == "exact 0, autograd nan (SqrtBackward0), formed as inf * 0 = nan  ✗  first divergence"
    assert lines[4:8] == [
        "├── sqrt rule: d/du sqrt(u) = 1/(2*sqrt(u))",
        "│   at u = 0: exact undefined (complex infinity), autograd inf (SqrtBackward0)  ✓",
        "└── power rule: d/dx x**2 = 2*x",
        "    exact 0, autograd 0 (PowBackward0)  ✓",
    ]
    assert lines[8] == (
        "first divergence at the chain rule for sqrt(x**2) (0*inf): autograd multiplies 0 by inf here"
        " (inf * 0 = nan); the exact derivative is 0"
    )
    assert outcome.stderr == ""


def test_json_steps(deriv: Run) -> None:
    document = deriv("steps", "sqrt(x**2)", "--at", "0", "--json").json()
    assert [set(step) for step in document["steps"]] == [STEP_KEYS] * 3
    root, outer, inner = document["steps"]
    assert (root["id"], root["parent"], root["rule"], root["autograd"], root["exact"]) == (
        0,
        None,
        "chain",
        "nan",
        "0",
    )
    assert (outer["parent"], outer["rule"], outer["node"], outer["autograd"]) == (
        0,
        "sqrt",
        "SqrtBackward0",
        "inf",
    )
    assert (inner["rule"], inner["node"], inner["autograd"], inner["agree"]) == (
        "power",
        "PowBackward0",
        0.0,
        True,
    )
    assert document["first_divergence"] == 0
    assert document["divergence"]["reason"] == "0*inf"
    assert document["agree"] is False


def test_no_unknown_rule_and_the_root_is_the_derivative(deriv: Run) -> None:
    document = deriv(
        "steps", "asin(x)+atan(x)+sinh(x)+abs(x)+heaviside(x)+max(x,1)", "--at", "0.5", "--json"
    ).json()
    assert "unknown" not in {step["rule"] for step in document["steps"]}
    assert math.isclose(
        document["steps"][0]["autograd"], 1 / math.sqrt(0.75) + 0.8 + math.cosh(0.5) + 1, rel_tol=1e-15
    )
    assert document["first_divergence"] is None


def test_without_a_point(deriv: Run) -> None:
    outcome = deriv("steps", "sin(x**2)*exp(x)")
    assert outcome.exit_code == ExitStatus.OK
    lines = outcome.stdout.splitlines()
    assert lines[1].startswith("product rule: d/dx (sin(x**2)*exp(x)) = (2*x*cos(x**2) + sin(x**2))*exp(x)")
    assert lines[2].startswith("├── chain rule: d/dx sin(x**2) = 2*x*cos(x**2), with u = x**2")
    document = deriv("steps", "sin(x**2)*exp(x)", "--json").json()
    assert {step["rule"] for step in document["steps"]} >= {"product", "chain"}
    assert all(step["autograd"] is None and step["exact"] is None for step in document["steps"])
    assert (document["at"], document["first_divergence"]) == (None, None)


def test_strict_fails_when_the_witnesses_part(deriv: Run) -> None:
    assert deriv("steps", "sqrt(x**2)", "--at", "0", "--strict").exit_code == ExitStatus.DISAGREEMENT
    assert deriv("steps", "x**2", "--at", "3", "--strict").exit_code == ExitStatus.OK


def test_refusals(deriv: Run) -> None:
    several = deriv("steps", "x*y")
    assert several.exit_code == ExitStatus.BAD_INPUT
    assert several.stderr.splitlines()[0] == (
        "deriv: error: 'x*y' has several variables (x, y): choose one with --wrt x"
    )
    points = deriv("steps", "x", "--at", "1", "--at", "2")
    assert points.stderr.splitlines()[0] == (
        "deriv: error: deriv steps follows the derivation at one point: give one --at (got 2)"
    )
