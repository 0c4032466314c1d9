"""Planning: which variables are differentiated and what each point gives them."""

from __future__ import annotations

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.plan import make_plan, point_names, split_names
from derivcli.model.setup import Mode, check_device
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


def plan_for(mode: Mode, text: str, *points: str, wrt: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    return make_plan(
        mode=mode, expression=parse_expression(text), points=[parse_point(p) for p in points], wrt=wrt
    )


def plan_error(mode: Mode, text: str, *points: str, wrt: tuple[str, ...] = ()) -> DerivError:
    with pytest.raises(DerivError) as caught:
        plan_for(mode, text, *points, wrt=wrt)
    return caught.value


def test_eval_with_a_bare_value() -> None:
    plan = plan_for(Mode.EVAL, "6*x**2+2*x+4", "3")
    assert plan.wrt == ("x",)
    assert [point["x"].value.text for point in plan.points] == ["3"]


def test_partial_differentiates_every_variable_in_order_of_appearance() -> None:
    plan = plan_for(Mode.PARTIAL, "v*u + u", "u=1,v=2")
    assert plan.variables == ("v", "u")
    assert plan.wrt == ("v", "u")


def test_partial_with_wrt() -> None:
    assert plan_for(Mode.PARTIAL, "u*v", "u=1,v=2", wrt=("v",)).wrt == ("v",)


def test_eval_with_wrt_on_several_variables() -> None:
    plan = plan_for(Mode.EVAL, "x*y", "x=1,y=2", wrt=("y",))
    assert plan.wrt == ("y",)


def test_variable_only_in_the_point_is_differentiated_as_a_constant() -> None:
    plan = plan_for(Mode.EVAL, "5", "x=3")
    assert (plan.variables, plan.wrt) == (("x",), ("x",))


def test_missing_value_is_named() -> None:
    error = plan_error(Mode.EVAL, "x*y", "x=1")
    assert error.kind is ErrorKind.MISSING_VALUE
    assert error.message == "no value for variable y in --at 'x=1'; write --at x=...,y=..."


def test_eval_with_several_variables_points_to_partial() -> None:
    error = plan_error(Mode.EVAL, "x*y", "x=1,y=2")
    assert error.kind is ErrorKind.AMBIGUOUS_VARIABLE
    assert error.message == (
        "'x*y' has several variables (x, y): use 'deriv partial', or choose one with --wrt x"
    )


def test_bare_value_with_several_variables() -> None:
    error = plan_error(Mode.PARTIAL, "x*y", "3")
    assert (
        error.message
        == "--at '3' gives a bare value, but the expression has variables x, y: write --at x=...,y=..."
    )


def test_bare_value_without_variables() -> None:
    error = plan_error(Mode.EVAL, "5", "3")
    assert (
        error.message
        == "--at '3' gives a bare value, but the expression has no variables: name one, e.g. --at x=3"
    )


def test_eval_refuses_two_wrt() -> None:
    assert plan_error(Mode.EVAL, "x*y", "x=1,y=2", wrt=("x", "y")).kind is ErrorKind.AMBIGUOUS_VARIABLE


def test_wrt_of_an_absent_variable_needs_its_value() -> None:
    error = plan_error(Mode.PARTIAL, "x", "x=1", wrt=("y",))
    assert error.message == "no value for y in --at 'x=1'"


def test_split_names() -> None:
    assert split_names(["u,v", "w"], option="--wrt") == ("u", "v", "w")
    with pytest.raises(DerivError, match="--wrt expects variable names, got '1x'"):
        split_names(["1x"], option="--wrt")


@pytest.mark.parametrize("spec", ["cpu", "cuda", "cuda:1", "mps", "auto"])
def test_device_names(spec: str) -> None:
    assert check_device(spec) == spec


def test_bad_device_name() -> None:
    with pytest.raises(DerivError) as caught:
        check_device("tpu")
    assert caught.value.message == "unknown device 'tpu': use cpu, cuda, cuda:N, mps or auto"


def test_glued_variables_get_a_multiplication_hint() -> None:
    error = plan_error(Mode.PARTIAL, "u**3+v**2+4uv", "u=3,v=4")
    assert error.message == "no value for variable uv in --at 'u=3,v=4'; to multiply, write u*v"


def symbolic_plan(text: str, *points: str, mode: Mode = Mode.EVAL):  # type: ignore[no-untyped-def]
    return make_plan(
        mode=mode, expression=parse_expression(text), points=[parse_point(p, symbolic=True) for p in points]
    )


def test_symbolic_point_names() -> None:
    plan = symbolic_plan("u*v", "u=a+b,v=a", "u=1,v=2", mode=Mode.PARTIAL)
    assert [point_names(point) for point in plan.points] == [("a", "b"), ()]


@pytest.mark.parametrize(
    ("text", "point", "message", "column"),
    [
        (
            "x**2",
            "x=x+1",
            "x is a variable of the expression, so it cannot also name a symbolic point in --at 'x=x+1';"
            " write the point in a new name, e.g. --at x=a",
            3,
        ),
        (
            "a*x + b",
            "x=2*b,a=1,b=3",
            "b is a variable of the expression, so it cannot also name a symbolic point in --at"
            " 'x=2*b,a=1,b=3'; write the point in a new name, e.g. --at x=c",
            3,
        ),
        # A name that only the point gives is a variable too (held constant), so it cannot be a symbol.
        (
            "x**2",
            "x=y,y=1",
            "y is a variable of the expression, so it cannot also name a symbolic point in --at 'x=y,y=1';"
            " write the point in a new name, e.g. --at x=a",
            3,
        ),
    ],
)
def test_a_symbolic_point_in_a_variable_is_refused(text: str, point: str, message: str, column: int) -> None:
    with pytest.raises(DerivError) as caught:
        symbolic_plan(text, point, mode=Mode.PARTIAL)
    assert (caught.value.kind, caught.value.message, caught.value.column) == (
        ErrorKind.BAD_POINT,
        message,
        column,
    )
