"""deriv check: the lab's SQ fails with a learner's sentence, corrected ones pass, every check has a case."""

from __future__ import annotations

from pathlib import Path

import pytest

from derivcli.core.check import check_function
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.check import FAIL, NOT_APPLICABLE, PASS, CheckReport, default_points
from derivcli.model.plan import make_plan
from derivcli.model.setup import Mode
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point
from tests.conftest import FIXTURES

OPS = FIXTURES / "lab_ops.py"


def check(name: str, against: str, *at: str) -> CheckReport:
    parsed = parse_expression(against)
    texts = list(at) or default_points(parsed.variables)
    plan = make_plan(mode=Mode.PARTIAL, expression=parsed, points=[parse_point(text) for text in texts])
    return check_function(f"{OPS}:{name}", plan)


def statuses(report: CheckReport) -> list[str]:
    return [result.status for result in report.checks]


def test_the_labs_sq_ignores_grad_output() -> None:
    report = check("SQ", "x**2", "x=2")
    assert not report.passed
    forward, unit, scaled, batched, gradcheck, _ = report.checks
    assert (forward.status, unit.status) == (PASS, PASS)
    assert scaled.status == FAIL
    assert scaled.message.startswith(
        "backward ignores grad_output: with grad_output=3 it returned 4, expected 12"
    )
    assert batched.status == FAIL
    assert gradcheck.status == FAIL


def test_a_corrected_sq_passes_every_check() -> None:
    report = check("GoodSQ", "x**2")
    assert report.passed
    assert statuses(report) == [PASS] * 6
    assert report.points == ({"x": 0.5}, {"x": 1.25}, {"x": 2.0})


def test_a_cube_whose_backward_returns_2x_squared_fails_on_the_derivative() -> None:
    report = check("Cube", "x**3", "x=-2", "x=0.5")
    _, unit, *_ = report.checks
    assert unit.status == FAIL
    assert unit.message == "backward returned 8 for x at x=-2, expected the derivative 3*x**2 = 12"
    assert unit.max_abs_error == 4.0


def test_a_wrong_forward_is_caught() -> None:
    report = check("WrongForward", "x**2", "x=2")
    assert report.checks[0].status == FAIL
    assert report.checks[0].message == "forward returned 5 at x=2, expected x**2 = 4"


def test_two_inputs_each_gradient_checked() -> None:
    report = check("Mul", "x*y")
    assert report.passed
    assert report.variables == ("x", "y")
    assert report.points == ({"x": 0.5, "y": 1.25}, {"x": 1.25, "y": 2.0}, {"x": 2.0, "y": 0.5})


def test_gradgradcheck_not_applicable_without_double_backward() -> None:
    report = check("NoDoubleBackward", "x**2")
    assert report.passed
    assert report.checks[-1].status == NOT_APPLICABLE
    assert (
        report.checks[-1].message == "backward does not build a graph, so it cannot be differentiated again"
    )


@pytest.mark.parametrize(
    ("spec", "kind", "message"),
    [
        (f"{OPS}:Nope", ErrorKind.BAD_FILE, "lab_ops.py has no 'Nope'; it defines SQ, GoodSQ, Cube, Mul,"),
        (
            f"{OPS}:not_a_function",
            ErrorKind.BAD_FILE,
            "'not_a_function' in lab_ops.py is a function, not a subclass",
        ),
        ("missing.py:SQ", ErrorKind.BAD_FILE, "no such file: 'missing.py'"),
        ("lab_ops.py", ErrorKind.BAD_OPTION, "expected FILE.py:NAME, e.g. my_ops.py:SQ, got 'lab_ops.py'"),
        (
            f"{OPS}:BrokenForward",
            ErrorKind.USER_CODE,
            "BrokenForward.forward raised NameError: name 'undefined_name'",
        ),
        (
            f"{OPS}:BrokenBackward",
            ErrorKind.USER_CODE,
            "BrokenBackward.backward raised ValueError: not written yet",
        ),
    ],
)
def test_load_and_user_code_errors(spec: str, kind: ErrorKind, message: str) -> None:
    plan = make_plan(mode=Mode.PARTIAL, expression=parse_expression("x"), points=[parse_point("x=1")])
    with pytest.raises(DerivError) as caught:
        check_function(spec, plan)
    assert caught.value.kind is kind
    assert caught.value.message.startswith(message)


def test_user_code_errors_name_the_line() -> None:
    plan = make_plan(mode=Mode.PARTIAL, expression=parse_expression("x"), points=[parse_point("x=1")])
    with pytest.raises(DerivError) as caught:
        check_function(f"{OPS}:BrokenBackward", plan)
    line = next(
        number for number, text in enumerate(OPS.read_text().splitlines(), 1) if "not written yet" in text
    )
    assert caught.value.message.endswith(f"(lab_ops.py, line {line})")


def test_inputs_must_match_the_variables() -> None:
    plan = make_plan(mode=Mode.PARTIAL, expression=parse_expression("x**2"), points=[parse_point("x=1")])
    with pytest.raises(DerivError) as caught:
        check_function(f"{OPS}:Mul", plan)
    assert caught.value.message == (
        "Mul.forward takes 2 input(s) (x, y) but the expression has 1 variable(s) (x);"
        " they are passed in the order they first appear"
    )


def test_a_file_may_import_modules_beside_it(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("def square(x):\n    return x * x\n")
    source = """
import torch
from helper import square


class Sq(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return square(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x
"""
    (tmp_path / "ops.py").write_text(source)
    plan = make_plan(mode=Mode.PARTIAL, expression=parse_expression("x**2"), points=[parse_point("x=3")])
    assert check_function(f"{tmp_path / 'ops.py'}:Sq", plan).passed


def test_the_fitted_taylor_order_of_clean_powers() -> None:
    from derivcli.core.numeric.check import _fitted_order

    steps = [2.0**-k for k in range(3, 11)]
    assert _fitted_order(steps, [3 * h**2 for h in steps], scale=1.0) == pytest.approx(2.0)
    assert _fitted_order(steps, [0.5 * h for h in steps], scale=1.0) == pytest.approx(1.0)
    # Remainders at rounding level leave nothing to fit.
    assert _fitted_order(steps, [1e-17] * len(steps), scale=1.0) is None


def test_gradcheck_details_are_whole_tensors_on_one_line() -> None:
    from derivcli.core.numeric.check import MAX_SUMMARY, _summarise

    message = (
        "Jacobian mismatch for output 0 with respect to input 0,\n"
        "numerical:tensor([[1.0000, 0.0000],\n        [0.0000, 2.5000]], dtype=torch.float64)\n"
        "analytical:tensor([[1.0000, 1.0000],\n        [2.5000, 2.5000]], dtype=torch.float64)\n"
    )
    assert _summarise(message) == (
        "Jacobian mismatch for output 0 with respect to input 0, numerical: tensor([[1.0000, 0.0000],"
        " [0.0000, 2.5000]]) analytical: tensor([[1.0000, 1.0000], [2.5000, 2.5000]])"
    )
    long = "numerical:tensor([" + ", ".join(["1.2345"] * 400) + "])"
    summary = _summarise(long)
    assert len(summary) < MAX_SUMMARY + 40
    assert summary.endswith(" characters in all)")
    assert ", 1.2345, … (" in summary
