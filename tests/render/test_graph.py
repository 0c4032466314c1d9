"""The graph for people (Rich tree and tables) and for Graphviz (DOT)."""

from __future__ import annotations

import io

from rich.console import Console

from derivcli.core.graph import graph_at
from derivcli.model.graph import GraphReport
from derivcli.model.plan import make_plan
from derivcli.model.setup import Mode
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point
from derivcli.render.graph import _dot_quote, graph_dot, print_graph


def graph(text: str, at: str) -> GraphReport:
    plan = make_plan(mode=Mode.PARTIAL, expression=parse_expression(text), points=[parse_point(at)])
    return graph_at(plan)


def render(report: GraphReport) -> list[str]:
    stream = io.StringIO()
    print_graph(report, Console(file=stream, width=160, color_system=None, highlight=False))
    return [line.rstrip() for line in stream.getvalue().splitlines()]


def test_tree_shows_names_expressions_and_local_derivatives() -> None:
    lines = render(graph("x**2 + 2*x + 1", "x=2"))
    assert lines[:8] == [
        "f(x) = x**2 + 2*x + 1 at x=2: 9",
        "backward graph, from the output's grad_fn through next_functions to the leaves:",
        "AddBackward0  x**2 + 2*x + 1 = 9   ∂/∂(x**2 + 2*x) = 1",
        "└── AddBackward0  x**2 + 2*x = 8   ∂/∂(x**2) = 1; ∂/∂(2*x) = 1",
        "    ├── PowBackward0  x**2 = 4   ∂/∂(x) = 2*x = 4",
        # Each path's part of x.grad, which add up to the total below (4 + 2 = 6).
        "    │   └── AccumulateGrad  x.grad += 4 (this path)",
        "    └── MulBackward0  2*x = 4   ∂/∂(x) = 2",
        "        └── AccumulateGrad  x.grad += 2 (this path)",
    ]
    assert "x.grad = 6; symbolic d/dx = 2*x + 2 = 6 ✓" in lines


def test_tables_before_and_after_backward() -> None:
    lines = render(graph("x**2", "x=2"))
    before = lines.index("before .backward()")
    after = lines.index("after .backward()")
    rows = [line.split() for line in lines[before:after] if line.strip().startswith(("x ", "f(x)"))]
    assert rows == [
        ["x", "2", "None", "None", "True", "True"],
        ["f(x)", "4", "PowBackward0", "None", "False", "True"],
    ]
    rows = [line.split() for line in lines[after:] if line.strip().startswith(("x ", "f(x)"))]
    assert rows[0] == ["x", "2", "None", "4", "True", "True"]


def test_dot_has_every_node_and_edge() -> None:
    dot = graph_dot(graph("u*v + u**2", "u=1,v=2"))
    assert dot.startswith("digraph backward {\n")
    assert dot.endswith("}\n")
    assert 'n2 [label="AccumulateGrad\\nu.grad += 4", shape=ellipse];' in dot
    assert 'n1 [label="MulBackward0\\nu*v = 2\\nd/d(u) = v = 2; d/d(v) = u = 1"];' in dot
    edges = sorted(line.strip() for line in dot.splitlines() if "->" in line)
    assert edges == ["n0 -> n1;", "n0 -> n4;", "n1 -> n2;", "n1 -> n3;", "n4 -> n2;"]


def test_dot_strings_escape_quotes_backslashes_and_newlines() -> None:
    assert _dot_quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def test_a_value_that_is_nan_is_shown_not_a_crash() -> None:
    lines = render(graph("log(x)", "x=-1"))
    assert lines[0] == "f(x) = log(x) at x=-1: nan"
    assert lines[2] == "LogBackward0  log(x) = nan   ∂/∂(x) = 1/x = -1"
