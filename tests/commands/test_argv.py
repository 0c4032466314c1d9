"""How a command line is read: leading-minus expressions and usage errors (in JSON under --json too)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from derivcli.commands.argv import move_dash_expression
from derivcli.errors import ExitStatus
from tests.conftest import Outcome

Run = Callable[..., Outcome]


@pytest.mark.parametrize(
    "args",
    [
        ("-x**2", "--at", "x=-1", "--json"),
        ("--at", "x=-1", "-x**2", "--json"),
        ("--json", "--at=x=-1", "--", "-x**2"),
        ("--at", "-1", "--json", "-x**2"),
    ],
)
def test_leading_minus_expression(deriv: Run, args: tuple[str, ...]) -> None:
    outcome = deriv("eval", *args)
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.json()["points"][0]["derivatives"]["x"]["autograd"] == 2.0


def test_move_dash_expression_leaves_option_values() -> None:
    class Option:
        param_type_name = "option"

        def __init__(self, opts: list[str], is_flag: bool = False) -> None:
            self.opts, self.secondary_opts, self.is_flag, self.nargs = opts, [], is_flag, 1

    params = [Option(["--at"]), Option(["--json"], is_flag=True)]
    assert move_dash_expression(["-x", "--at", "-1", "--json"], params) == [
        "--at",
        "-1",
        "--json",
        "--",
        "-x",
    ]
    assert move_dash_expression(["x", "--at", "-1"], params) == ["x", "--at", "-1"]


def test_usage_error_under_json_is_json_too(deriv: Run) -> None:
    outcome = deriv("eval", "x", "--jsn", "--json")
    assert outcome.exit_code == 2
    assert outcome.json()["error"]["kind"] == "usage"
    assert "No such option: --jsn" in outcome.json()["error"]["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x", "--json", "--bogus"), "No such option: --bogus"),
        (("x", "--dtype", "float16", "--json"), "Invalid value for '--dtype'"),
        (("x", "--rtol", "abc", "--json"), "Invalid value for '--rtol'"),
    ],
)
def test_every_usage_error_under_json_is_json(deriv: Run, args: tuple[str, ...], message: str) -> None:
    outcome = deriv("eval", *args)
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.json()["error"]["kind"] == "usage"
    assert message in outcome.json()["error"]["message"]
