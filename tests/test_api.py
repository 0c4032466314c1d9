"""The Python API: the CLI's documents and verdicts as objects, refusals as DerivError."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from derivcli.api import check_function, check_gradient, compare, point_texts, steps
from derivcli.errors import DerivError, ErrorKind
from tests.conftest import FIXTURES, ROOT


def test_to_json_is_the_cli_document() -> None:
    code = "from derivcli.api import compare; print(compare('6*x**2+2*x+4', at={'x': 3}).to_json())"
    api = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    cli = subprocess.run(
        [sys.executable, "-m", "derivcli", "eval", "6*x**2+2*x+4", "--at", "x=3", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert api.stdout == cli.stdout
    assert json.loads(api.stdout)["points"][0]["derivatives"]["x"]["autograd"] == 38.0


def test_compare_points_and_verdict() -> None:
    result = compare("u*v+u**2", at=[{"u": 1, "v": 2}, {"u": 0.5, "v": "pi/4"}])
    assert result.agree
    assert [point.at_input for point in result.points] == [{"u": "1", "v": "2"}, {"u": "0.5", "v": "pi/4"}]
    assert result.points[1].derivatives["u"].exact == "pi/4 + 1"
    assert result.derivatives == {"u": "2*u + v", "v": "u"}
    assert repr(result) == "<Comparison of 'u*v+u**2': agree>"
    assert str(result).splitlines()[0] == "f(u, v) = u**2 + u*v"
    assert result._repr_html_().startswith("<pre>f(u, v) = u**2 + u*v\n")


def test_compare_with_the_worker_and_a_budget() -> None:
    result = compare("sin(x)", at={"x": 0}, wrt="x", order=2, timeout=20)
    assert result.points[0].derivatives["x,x"].autograd == 0.0


def test_steps_and_function_checks() -> None:
    derivation = steps("sqrt(x**2)", at={"x": 0})
    assert derivation.first_divergence is not None
    assert (derivation.first_divergence.step, derivation.agree) == (0, False)
    assert json.loads(derivation.to_json())["first_divergence"] == 0
    sys.path.insert(0, str(FIXTURES))
    try:
        from lab_ops import SQ, GoodSQ  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(FIXTURES))
    assert not check_function(SQ, against="x**2", at=[{"x": 2}, {"x": -1.5}]).agree
    good = check_function(GoodSQ, against="x**2")
    assert good.agree
    assert good.to_dict()["passed"] is True


def test_check_gradient_of_a_plain_function() -> None:
    result = check_gradient(lambda x, y: x * torch.sin(y), against="x*sin(y)", at={"x": 1, "y": 2})
    assert result.agree
    assert [value.name for value in result.report.values] == [None, "x", "y"]
    wrong = check_gradient(lambda x: x * x.detach(), against="x**2", at={"x": 3})
    assert [(value.name, value.expected, value.got) for value in wrong.report.values if not value.agree] == [
        ("x", 6.0, 3.0)
    ]


@pytest.mark.parametrize(
    ("at", "texts"),
    [
        (None, []),
        ({"x": 3}, ["x=3"]),
        ({"x": 0.1, "y": "pi/4"}, ["x=0.1,y=pi/4"]),
        ([{"x": 1}, {"x": -2.5}], ["x=1", "x=-2.5"]),
    ],
)
def test_points_as_the_cli_reads_them(at: object, texts: list[str]) -> None:
    assert point_texts(at) == texts  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "kind", "message"),
    [
        (lambda: compare("x**", at={"x": 1}), ErrorKind.SYNTAX, None),
        (lambda: compare("x", at={"x": float("nan")}), ErrorKind.BAD_NUMBER, "x=nan is not a finite number"),
        (
            lambda: compare("x", at={"x": True}),
            ErrorKind.BAD_POINT,
            "x: expected a number or a constant expression, got True",
        ),
        (
            lambda: compare("x", at={"x": 1}, dtype="float16"),
            ErrorKind.BAD_OPTION,
            "dtype must be float64 or float32, got 'float16'",
        ),
        (lambda: check_function(len, against="x"), ErrorKind.BAD_OPTION, None),
    ],
)
def test_refusals_are_deriv_errors(call: object, kind: ErrorKind, message: str | None) -> None:
    with pytest.raises(DerivError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.kind is kind
    if message is not None:
        assert caught.value.message == message


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: compare(None), "expr: expected an expression as text, got None"),  # type: ignore[arg-type]
        (lambda: compare("x", at={"x": 1}, wrt=5), "wrt: expected a variable name or a list of them, got 5"),  # type: ignore[arg-type]
        (lambda: compare("x", at={"x": 1}, order=2.0), "order: expected a whole number, got 2.0"),  # type: ignore[arg-type]
        (lambda: compare("x", at={"x": 1}, rtol="0.1"), "rtol: expected a number, got '0.1'"),  # type: ignore[arg-type]
        (
            lambda: compare("x*y", at={"x": "1,y=2"}),
            "x: expected one value, got '1,y=2'; give each variable its own key",
        ),
        (lambda: compare("x", at={"x=1": 2}), "a point's keys are variable names, got 'x=1'"),
        (
            lambda: check_gradient(lambda: torch.tensor(1.0), against="3"),
            "against '3' has no variables: the function takes inputs",
        ),
    ],
)
def test_wrong_arguments_are_deriv_errors(call: object, message: str) -> None:
    with pytest.raises(DerivError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.message == message


def test_a_local_function_class_with_a_budget() -> None:
    # Defined inside a function (as in a test), after the worker of an earlier call was forked.
    compare("x**2", at={"x": 1}, timeout=20)

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def, override]
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        def backward(ctx, grad_output):  # type: ignore[no-untyped-def, override]
            (x,) = ctx.saved_tensors
            return grad_output * 2 * x

    assert check_function(Square, against="x**2", at={"x": 2}, timeout=20).agree
