"""deriv graph: node names from torch, operations and local derivatives from SymPy, tensors, gradients."""

from __future__ import annotations

import pytest

from derivcli.core.graph import graph_at, operation_of
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.graph import GraphReport, walk_tree
from derivcli.model.plan import make_plan
from derivcli.model.setup import Mode
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point
from derivcli.parsing.tree import node_text


def graph(text: str, *at: str) -> GraphReport:
    plan = make_plan(
        mode=Mode.PARTIAL, expression=parse_expression(text), points=[parse_point(p) for p in at]
    )
    return graph_at(plan)


def tree(report: GraphReport) -> list[tuple[int, str, str | None]]:
    """(depth, PyTorch name, expression or variable) in tree order, first visits only."""
    return [
        (depth, node.name, node.expression or node.variable)
        for depth, node, first in walk_tree(report)
        if first
    ]


def test_quadratic_of_the_lab() -> None:
    report = graph("x**2 + 2*x + 1", "x=2")
    assert tree(report) == [
        (0, "AddBackward0", "x**2 + 2*x + 1"),
        (1, "AddBackward0", "x**2 + 2*x"),
        (2, "PowBackward0", "x**2"),
        (3, "AccumulateGrad", "x"),
        (2, "MulBackward0", "2*x"),
    ]
    power = next(node for node in report.nodes if node.name == "PowBackward0")
    ((local,),) = [power.local]
    assert (local.input, local.derivative, local.exact, local.value) == ("x", "2*x", "4", 4.0)
    assert report.value == 9.0
    assert report.gradients["x"].autograd == 6.0
    assert report.gradients["x"].agree


def test_partial_derivatives_of_u_v() -> None:
    report = graph("u*v + u**2", "u=1,v=2")
    assert tree(report) == [
        (0, "AddBackward0", "u*v + u**2"),
        (1, "MulBackward0", "u*v"),
        (2, "AccumulateGrad", "u"),
        (2, "AccumulateGrad", "v"),
        (1, "PowBackward0", "u**2"),
    ]
    product = report.nodes[1]
    assert [(local.input, local.derivative, local.value) for local in product.local] == [
        ("u", "v", 2.0),
        ("v", "u", 1.0),
    ]
    assert {name: check.autograd for name, check in report.gradients.items()} == {"u": 4.0, "v": 1.0}


def test_sin_times_exp() -> None:
    report = graph("sin(x)*exp(x)", "x=0.5")
    assert [node.name for node in report.nodes] == [
        "MulBackward0",
        "SinBackward0",
        "AccumulateGrad",
        "ExpBackward0",
    ]
    sine = report.nodes[1]
    assert sine.local[0].derivative == "cos(x)"
    assert sine.local[0].value == pytest.approx(0.8775825618903728, rel=1e-15)


def test_tensor_attributes_before_and_after_backward() -> None:
    report = graph("x**2", "x=2")
    assert report.before["x"].grad is None
    assert report.after["x"].grad == 4.0
    assert (report.after["x"].is_leaf, report.after["x"].requires_grad, report.after["x"].grad_fn) == (
        True,
        True,
        None,
    )
    output = report.after["output"]
    assert (output.data, output.grad_fn, output.grad, output.is_leaf) == (4.0, "PowBackward0", None, False)


def test_division_sqrt_and_log_with_a_base() -> None:
    report = graph("sqrt(x)/log(x, 2)", "x=4")
    names = [node.name for node in report.nodes]
    assert names[:2] == ["DivBackward0", "SqrtBackward0"]
    assert "LogBackward0" in names
    assert report.gradients["x"].agree


def test_no_graph_when_the_output_does_not_depend_on_a_differentiated_variable() -> None:
    plan = make_plan(
        mode=Mode.PARTIAL, expression=parse_expression("u"), points=[parse_point("u=1,v=2")], wrt=("v",)
    )
    report = graph_at(plan)
    assert report.nodes == ()
    assert (report.gradients["v"].autograd, report.gradients["v"].symbolic_value) == (None, 0.0)
    assert report.after["output"].requires_grad is False


def test_variables_not_differentiated_are_plain_tensors() -> None:
    plan = make_plan(
        mode=Mode.PARTIAL, expression=parse_expression("u*v"), points=[parse_point("u=1,v=2")], wrt=("u",)
    )
    report = graph_at(plan)
    assert report.before["v"].requires_grad is False
    assert [node.variable for node in report.nodes if node.name == "AccumulateGrad"] == ["u"]


def test_one_point_only() -> None:
    plan = make_plan(
        mode=Mode.PARTIAL, expression=parse_expression("x"), points=[parse_point("1"), parse_point("2")]
    )
    with pytest.raises(DerivError) as caught:
        graph_at(plan)
    assert caught.value.kind is ErrorKind.BAD_POINT


@pytest.mark.parametrize(
    ("text", "template", "inputs"),
    [
        ("x**2 + 2*x + 1", "_0 + 1", ["x**2 + 2*x"]),
        ("a*b/c", "_0/_1", ["a*b", "c"]),
        ("-sin(x)", "-_0", ["sin(x)"]),
        ("x**y", "_0**_1", ["x", "y"]),
        ("log(x, 2)", "_0/log(2)", ["log(x)"]),
        ("max(a, b, c)", "max(_0, _1)", ["max(a, b)", "c"]),
        ("atan2(y, 1)", "atan2(_0, 1)", ["y"]),
    ],
)
def test_operation_of_a_node(text: str, template: str, inputs: list[str]) -> None:
    operation = operation_of(parse_expression(text).tree)
    assert operation is not None
    shape, named = operation
    assert node_text(shape) == template
    assert [node_text(child) for _, child in named] == inputs


def test_leaves_have_no_operation() -> None:
    assert operation_of(parse_expression("x").tree) is None
