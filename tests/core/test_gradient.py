"""A plain torch function against an expression: values and gradients point by point, refusals."""

from __future__ import annotations

import pytest
import torch

from derivcli.core.gradient import check_gradient
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.plan import make_plan
from derivcli.model.setup import Mode
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


def plan(text: str, *points: str):  # type: ignore[no-untyped-def]
    return make_plan(
        mode=Mode.PARTIAL, expression=parse_expression(text), points=[parse_point(p) for p in points]
    )


def test_values_and_gradients_in_the_variables_order() -> None:
    report = check_gradient(lambda u, v: u * v + u**2, plan("u*v + u**2", "u=1,v=2"), name="f")
    assert [(value.name, value.expected, value.got, value.agree) for value in report.values] == [
        (None, 3.0, 3.0, True),
        ("u", 4.0, 4.0, True),
        ("v", 1.0, 1.0, True),
    ]
    assert report.derivatives == {"u": "2*u + v", "v": "u"}
    assert report.agree


def test_an_input_the_function_ignores_has_gradient_zero() -> None:
    report = check_gradient(lambda x, y: x * 2, plan("2*x + y", "x=1,y=1"), name="f")
    assert [(value.name, value.got, value.agree) for value in report.values][1:] == [
        ("x", 2.0, True),
        ("y", 0.0, False),
    ]


def test_a_function_must_return_one_number() -> None:
    with pytest.raises(DerivError) as caught:
        check_gradient(lambda x: torch.stack([x, x]), plan("x", "x=1"), name="pair")
    assert (caught.value.kind, caught.value.message) == (
        ErrorKind.USER_CODE,
        "pair must return a tensor of one element, got Tensor",
    )
