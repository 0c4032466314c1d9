"""The path every command takes: its wiring, its error handling, and --timeout end to end."""

from __future__ import annotations

import importlib
import itertools
import json
import time
import typing
from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner

from derivcli import cli, pipeline
from derivcli.cli import app
from derivcli.errors import ExitStatus
from derivcli.render.view import BaseView
from derivcli.worker.process import fork_is_safe
from tests.conftest import FIXTURES, Outcome

Run = Callable[..., Outcome]

pytestmark = pytest.mark.skipif(not fork_is_safe(), reason="the time budget needs fork")

#: Rounding its constant sin(3 + exp(exp(exp(3)))) computes pi to hundreds of millions of digits.
HANGS_ON_ITS_CONSTANT = "x*sin(3+exp(exp(exp(3))))"
#: Differentiates at once, but the exact value of cos(3 + exp(exp(exp(3)))) needs the same pi.
HANGS_IN_EVALUATION = "sin(x+exp(exp(exp(3))))"
LAB_OPS = FIXTURES / "lab_ops.py"


@pytest.mark.parametrize("command", cli.COMMANDS, ids=lambda module: module.SPEC.name)
def test_every_command_is_wired_to_a_typed_work_entry_and_a_view(command: object) -> None:
    # The checklist of the README's Architecture section, checked: the work's entry takes the request
    # type the view was written for and returns the report type the view presents.
    route: pipeline.Route = command.ROUTE  # type: ignore[attr-defined]
    work = importlib.import_module(f"derivcli.work.{route.work}")
    view = importlib.import_module(f"derivcli.render.{route.view}").View
    assert issubclass(view, BaseView)
    (generic,) = [base for base in view.__orig_bases__ if typing.get_origin(base) is BaseView]  # type: ignore[attr-defined]
    request_type, report_type = typing.get_args(generic)
    hints = typing.get_type_hints(work.run)
    assert hints["request"] is request_type
    assert hints["return"] is report_type
    assert view.present is not BaseView.present


def test_a_command_name_is_its_module_name() -> None:
    names = [module.SPEC.name for module in cli.COMMANDS]
    assert names == [
        "eval",
        "partial",
        "hessian",
        "jacobian",
        "implicit",
        "batch",
        "grid",
        "graph",
        "steps",
        "spellings",
        "check",
    ]
    assert [module.__name__.rsplit(".", 1)[1] for module in cli.COMMANDS] == names


def test_a_hanging_derivative_ends_within_its_budget(deriv: Run) -> None:
    began = time.monotonic()
    outcome = deriv("eval", HANGS_ON_ITS_CONSTANT, "--at", "x=3", "--timeout", "1", "--json")
    assert time.monotonic() - began < 30
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    error = outcome.json()["error"]
    # Autograd comes first, and folding the constant sin(3 + exp(exp(exp(3)))) is what never ends.
    assert (error["kind"], error["step"]) == ("timeout", "translating the expression to torch")
    assert error["message"] == (
        "the computation ran out of its 1 s time budget while translating the expression to torch"
        " (raise the budget with --timeout)"
    )
    assert "Traceback" not in outcome.stderr


def test_autograd_answers_alone_when_exact_evaluation_runs_out(deriv: Run) -> None:
    outcome = deriv("eval", HANGS_IN_EVALUATION, "--at", "x=3", "--timeout", "1", "--json")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    document = outcome.json()
    assert document["error"]["kind"] == "timeout"
    assert document["error"]["step"] == "evaluating exactly at point 1 (x=3)"
    (point,) = document["autograd"]
    assert point["at"] == {"x": 3.0}
    # exp(exp(exp(3))) overflows float64, so torch's honest answer is nan.
    assert point["derivatives"] == {"x": "nan"}


def test_autograd_alone_as_a_table(deriv: Run) -> None:
    outcome = deriv("partial", "sin(x+exp(exp(exp(3))))*y", "--at", "x=3,y=2", "--timeout", "1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert "(autograd only: no symbolic result)" in outcome.stdout
    assert "∂/∂y" in outcome.stdout
    (message,) = outcome.stderr.splitlines()
    assert message.startswith("deriv: error: the computation ran out of its 1 s time budget while evaluating")


def test_a_grid_that_would_hang_ends_within_its_budget(deriv: Run) -> None:
    outcome = deriv("grid", HANGS_ON_ITS_CONSTANT, "--range", "x=0:1", "--timeout", "1", "--json")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    # The derivative, sin(3 + exp(exp(exp(3)))), is built at once (nothing asks whether it is zero);
    # folding it into a float for torch is what never ends.
    assert outcome.json()["error"]["step"] == "finding kinks and translating to torch"


def test_a_batch_line_that_would_hang_costs_its_budget_and_the_batch_goes_on() -> None:
    lines = [
        {"expr": "x**2", "at": 3},
        {"expr": HANGS_ON_ITS_CONSTANT, "at": 3, "id": "slow"},
        {"expr": "x**3", "at": 2},
    ]
    result = CliRunner().invoke(
        app, ["batch", "--timeout", "1"], input="".join(json.dumps(line) + "\n" for line in lines)
    )
    assert result.exit_code == ExitStatus.BAD_INPUT
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [answer["line"] for answer in answers] == [1, 2, 3]
    assert answers[1]["id"] == "slow"
    assert answers[1]["error"]["kind"] == "timeout"
    assert answers[0]["points"][0]["derivatives"]["x"]["autograd"] == 6.0
    assert answers[2]["points"][0]["derivatives"]["x"]["autograd"] == 12.0
    assert result.stderr.startswith("deriv batch: 2 ok, 1 error, 3 lines in ")


@pytest.mark.parametrize("value", ["0", "-1", "nan", "1e9"])
def test_timeouts_that_are_not_budgets_are_refused(deriv: Run, value: str) -> None:
    outcome = deriv("eval", "x", "--at", "1", "--timeout", value)
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr.startswith("deriv: error: --timeout must be a number of seconds above 0")


def test_a_hanging_point_value_is_not_tried_twice(deriv: Run) -> None:
    # Autograd alone would have to read the same point: the error comes alone, after one budget.
    outcome = deriv("eval", "x", "--at", "x=sin(exp(exp(exp(3))))", "--timeout", "1", "--json")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    document = outcome.json()
    assert document["error"]["step"] == "reading the points exactly"
    assert "autograd" not in document


@pytest.mark.parametrize(
    ("args", "step"),
    [
        (("jacobian", f"{HANGS_ON_ITS_CONSTANT}, x", "--at", "x=1"), "translating the expression to torch"),
        (("graph", HANGS_ON_ITS_CONSTANT, "--at", "x=1"), "drawing the graph"),
        (("hessian", f"{HANGS_ON_ITS_CONSTANT}*y", "--at", "x=1,y=1"), "translating the expression to torch"),
        (
            ("check", str(LAB_OPS) + ":GoodSQ", "--against", "x**2*sin(3+exp(exp(exp(3))))"),
            "working out the expected values",
        ),
    ],
    ids=["jacobian", "graph", "hessian", "check"],
)
def test_every_command_keeps_to_its_budget(deriv: Run, args: tuple[str, ...], step: str) -> None:
    began = time.monotonic()
    outcome = deriv(*args, "--timeout", "1", "--json")
    assert time.monotonic() - began < 30
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.json()["error"]["step"] == step


def test_a_line_arriving_while_another_is_awaited_starts_at_once() -> None:
    import derivcli.core.compare  # noqa: F401 - imported before the clock starts, as a warm batch has it
    from derivcli.work.batch import run_batch

    def trickle() -> Iterator[str]:
        yield json.dumps({"expr": HANGS_ON_ITS_CONSTANT, "at": 3})
        time.sleep(0.3)
        yield json.dumps({"expr": HANGS_ON_ITS_CONSTANT, "at": 4})

    began = time.monotonic()
    results = list(run_batch(trickle(), timeout=3, jobs=2))
    elapsed = time.monotonic() - began
    assert [result.error.kind for result in results if result.error is not None] == ["timeout", "timeout"]
    # One after the other, the two budgets alone would take 6 s.
    assert elapsed < 5.5


HUNDRED = [f"x{index}" for index in range(100)]


@pytest.mark.parametrize(
    ("args", "step"),
    [
        (
            (
                "partial",
                "sin(a*b*c*d*f)*exp(a+b+c+d+f)",
                "--at",
                "a=1,b=2,c=0.5,d=0.3,f=0.2",
                "--order",
                "10",
            ),
            "running autograd",
        ),
        (
            (
                "hessian",
                "+".join(f"{a}*{b}" for a, b in itertools.pairwise(HUNDRED)),
                "--at",
                ",".join(f"{n}=1" for n in HUNDRED),
            ),
            "running autograd",
        ),
        (("eval", "sin(E**E**E**E)*x", "--at", "1"), "translating the expression to torch"),
        (("grid", "x", "--range", "x=0:1", "--num", "1e12"), "evaluating the grid"),
    ],
    ids=["order-10-partials", "hessian-of-100-variables", "sine-of-a-tower", "grid-of-10-to-12-points"],
)
def test_the_budget_bounds_autograd_too(deriv: Run, args: tuple[str, ...], step: str) -> None:
    # These ran 54 s to hours under small budgets: autograd and its fallback each had budgets of their own.
    began = time.monotonic()
    outcome = deriv(*args, "--timeout", "1", "--json")
    elapsed = time.monotonic() - began
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.json()["error"]["step"] == step
    assert elapsed < 6, elapsed
