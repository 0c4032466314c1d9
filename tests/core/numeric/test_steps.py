"""Autograd's answer for each step: derivatives by the variable or by an argument, and the nodes of each."""

from __future__ import annotations

import math

import torch

from derivcli.core.numeric.steps import Query, trace_steps
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.tree import Call, Power, Sum, Variable


def test_derivatives_nodes_and_forward_values() -> None:
    parsed = parse_expression("sqrt(x**2) + 3")
    total = parsed.tree
    assert isinstance(total, Sum)
    root = total.terms[0][1]
    assert isinstance(root, Call)
    square = root.args[0]
    assert isinstance(square, Power)
    constant = total.terms[1][1]
    trace = trace_steps(
        parsed,
        variables=("x",),
        variable="x",
        point={"x": 0.0},
        queries=[
            Query(total),
            Query(root),
            Query(root, template=Call("sqrt", (Variable("u", 0),), 0), slots=(("u", square),), by="u"),
            Query(square),
            Query(square.base),
            Query(constant),
        ],
        device="cpu",
        dtype="float64",
    )
    whole, chain, outer, inner, leaf, fixed = trace.answers
    assert whole.nodes == ("AddBackward0",)
    assert math.isnan(chain.derivative)
    assert chain.nodes == ("SqrtBackward0",)
    assert (outer.derivative, outer.nodes) == (math.inf, ("SqrtBackward0",))
    assert (inner.derivative, inner.nodes, inner.forward) == (0.0, ("PowBackward0",), 0.0)
    assert (leaf.derivative, leaf.nodes) == (1.0, ("AccumulateGrad",))
    assert (fixed.derivative, fixed.nodes, fixed.forward) == (0.0, (), None)
    assert trace.device == "cpu"


def test_another_variable_is_a_constant() -> None:
    parsed = parse_expression("x*y")
    trace = trace_steps(
        parsed,
        variables=("x", "y"),
        variable="x",
        point={"x": 2.0, "y": 5.0},
        queries=[Query(parsed.tree)],
        device="cpu",
        dtype="float32",
    )
    (answer,) = trace.answers
    assert (answer.derivative, answer.nodes, answer.forward) == (5.0, ("MulBackward0",), 10.0)


def test_an_outer_function_of_one_tensor_twice() -> None:
    # max(x, x): both arguments are x's leaf; run alone, each argument gets its own share.
    parsed = parse_expression("max(x, x)")
    call = parsed.tree
    assert isinstance(call, Call)
    template = Call("max", (Variable("u", 0), Variable("v", 0)), 0)
    slots = (("u", call.args[0]), ("v", call.args[1]))
    trace = trace_steps(
        parsed,
        variables=("x",),
        variable="x",
        point={"x": 0.0},
        queries=[Query(call, template=template, slots=slots, by=name) for name in ("u", "v")],
        device="cpu",
        dtype="float64",
    )
    # The split at a tie is torch's convention (it changes between releases): ask the running torch.
    u, v = torch.tensor(0.0, requires_grad=True), torch.tensor(0.0, requires_grad=True)
    shares = torch.autograd.grad(torch.maximum(u, v), (u, v))
    assert [(answer.derivative, answer.nodes) for answer in trace.answers] == [
        (float(shares[0]), ("MaximumBackward0",)),
        (float(shares[1]), ("MaximumBackward0",)),
    ]
