"""The command line, end to end in-process: JSON parsed and asserted, exact errors, exit codes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from derivcli.commands.argv import move_dash_expression
from derivcli.errors import ExitStatus
from tests.conftest import Outcome

Run = Callable[..., Outcome]


def test_eval_table(deriv: Run) -> None:
    outcome = deriv("eval", "6*x**2+2*x+4", "--at", "x=3")
    assert outcome.exit_code == ExitStatus.OK
    assert outcome.stdout.splitlines()[0] == "f(x) = 6*x**2 + 2*x + 4"
    assert outcome.stdout.splitlines()[3].split() == [
        "x=3",
        "64.0",
        "d/dx",
        "=",
        "12*x",
        "+",
        "2",
        "38",
        "38.0",
        "38.0",
        "0",
        "✓",
    ]
    assert outcome.stderr == ""


def test_eval_json_document(deriv: Run) -> None:
    document = deriv("eval", "6*x**2+2*x+4", "--at", "x=3", "--json").json()
    assert document["expression"] == "6*x**2 + 2*x + 4"
    assert document["variables"] == ["x"]
    assert document["points"][0]["at"] == {"x": 3.0}
    assert document["points"][0]["derivatives"]["x"]["symbolic"] == "12*x + 2"


def test_partial_wrt_json(deriv: Run) -> None:
    document = deriv("partial", "u*v+u**2", "--at", "u=1,v=2", "--wrt", "u", "--json").json()
    assert list(document["points"][0]["derivatives"]) == ["u"]
    assert document["points"][0]["derivatives"]["u"]["autograd"] == 4.0


def test_several_points(deriv: Run) -> None:
    document = deriv("eval", "x**3", "--at", "1", "--at", "2", "--json").json()
    assert [p["derivatives"]["x"]["autograd"] for p in document["points"]] == [3.0, 12.0]


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


def test_float32_on_cpu(deriv: Run) -> None:
    document = deriv(
        "eval", "sin(x)", "--at", "x=0", "--device", "cpu", "--dtype", "float32", "--json"
    ).json()
    assert (document["dtype"], document["device"]) == ("float32", "cpu")
    assert document["points"][0]["derivatives"]["x"]["autograd"] == 1.0


def test_non_finite_values_are_strict_json(deriv: Run) -> None:
    outcome = deriv("eval", "log(x)", "--at", "0", "--json")
    entry = outcome.json()["points"][0]["derivatives"]["x"]
    assert (entry["autograd"], entry["symbolic_value"], entry["agree"]) == ("inf", "nan", False)
    assert outcome.exit_code == 0


def test_strict_makes_disagreement_exit_1(deriv: Run) -> None:
    assert deriv("eval", "relu(x)", "--at", "0", "--strict").exit_code == ExitStatus.DISAGREEMENT
    assert deriv("eval", "relu(x)", "--at", "1", "--strict").exit_code == ExitStatus.OK


def test_refused_expression_message_and_caret(deriv: Run) -> None:
    outcome = deriv("eval", "__import__('os').system('touch canary')", "--at", "x=1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stdout == ""
    assert outcome.stderr.splitlines() == [
        "deriv: error: attribute access is not allowed: \"__import__('os').system\" (column 1)",
        "  __import__('os').system('touch canary')",
        "  ^^^^^^^^^^^^^^^^^^^^^^^",
    ]


def test_refused_expression_json(deriv: Run) -> None:
    outcome = deriv("eval", "2*foo(x)", "--at", "1", "--json")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.json() == {
        "error": {"kind": "unknown-function", "message": "unknown function 'foo' (column 3)", "column": 3}
    }
    assert outcome.stderr.splitlines()[0] == "deriv: error: unknown function 'foo' (column 3)"


def test_missing_value_error(deriv: Run) -> None:
    outcome = deriv("eval", "x*y", "--at", "x=1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr == "deriv: error: no value for variable y in --at 'x=1'; write --at x=...,y=...\n"


def test_eval_of_two_variables_points_to_partial(deriv: Run) -> None:
    outcome = deriv("eval", "x*y", "--at", "x=1,y=2", "--json")
    assert outcome.json()["error"]["kind"] == "ambiguous-variable"
    assert "use 'deriv partial', or choose one with --wrt x" in outcome.json()["error"]["message"]


def test_cuda_unavailable(deriv: Run) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    outcome = deriv("eval", "sin(x)", "--at", "0", "--device", "cuda", "--json")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.json()["error"]["kind"] == "device-unavailable"


def test_bad_device_name(deriv: Run) -> None:
    outcome = deriv("eval", "sin(x)", "--at", "0", "--device", "tpu")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr == "deriv: error: unknown device 'tpu': use cpu, cuda, cuda:N, mps or auto\n"


def test_bad_tolerance(deriv: Run) -> None:
    outcome = deriv("eval", "x", "--at", "0", "--rtol", "nan")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr == "deriv: error: --rtol must be a finite number >= 0, got nan\n"


def test_point_error_points_into_the_at_text(deriv: Run) -> None:
    outcome = deriv("eval", "x", "--at", "x=1/0")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr.splitlines() == [
        "deriv: error: division by zero in --at 'x=1/0' (column 5)",
        "  x=1/0",
        "      ^",
    ]


def test_giant_power_is_refused(deriv: Run) -> None:
    outcome = deriv("eval", "x + 9**9**9", "--at", "1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr.splitlines()[0] == (
        "deriv: error: '9**9**9' is too large to compute exactly (about 3.7e+08 digits;"
        " the limit is 30,102) (column 5)"
    )


def test_control_characters_in_input_are_not_echoed(deriv: Run) -> None:
    outcome = deriv("eval", "x\x1b[31m", "--at", "1")
    assert "\x1b" not in outcome.stderr
    assert outcome.stderr.splitlines()[1] == "  x?[31m"


def test_usage_error_under_json_is_json_too(deriv: Run) -> None:
    outcome = deriv("eval", "x", "--jsn", "--json")
    assert outcome.exit_code == 2
    assert outcome.json()["error"]["kind"] == "usage"
    assert "No such option: --jsn" in outcome.json()["error"]["message"]


def test_no_points_shows_the_derivative(deriv: Run) -> None:
    outcome = deriv("eval", "sin(x)", "--json")
    assert outcome.json()["symbolic"] == {"x": "cos(x)"}
    assert outcome.json()["points"] == []


def test_simplify_flag(deriv: Run) -> None:
    document = deriv("eval", "(x**2 - 1)/(x - 1)", "--simplify", "--json").json()
    assert document["symbolic"] == {"x": "1"}


def test_version(deriv: Run) -> None:
    outcome = deriv("--version")
    assert outcome.exit_code == 0
    assert outcome.stdout.startswith("deriv 0.1.0 (torch ")
    assert ", sympy " in outcome.stdout


def test_help_lists_commands_and_exit_statuses(deriv: Run) -> None:
    outcome = deriv("--help")
    assert outcome.exit_code == 0
    assert "eval" in outcome.stdout
    assert "partial" in outcome.stdout
    assert "Exit status: 0 success; 1" in " ".join(outcome.stdout.split())


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


def test_short_help_is_help(deriv: Run) -> None:
    outcome = deriv("eval", "-h")
    assert outcome.exit_code == 0
    assert outcome.stdout.startswith("Usage: deriv eval [OPTIONS]")


def test_enormous_simplify_timeout_is_accepted(deriv: Run) -> None:
    outcome = deriv("eval", "x", "--simplify", "--simplify-timeout", "1e308", "--at", "1", "--json")
    assert outcome.exit_code == 0
    assert outcome.json()["points"][0]["derivatives"]["x"]["autograd"] == 1.0


def test_json_is_ascii_safe(deriv: Run) -> None:
    outcome = deriv("eval", "x\u0445", "--at", "1", "--json")
    assert outcome.stdout.isascii()
    assert "\u0445" in outcome.json()["error"]["message"]


@pytest.mark.parametrize("name", ["pi", "sin", "lambda", "__class__"])
def test_wrt_must_be_a_variable_name(deriv: Run, name: str) -> None:
    outcome = deriv("eval", "sin(x)", "--wrt", name, "--at", "1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr.startswith(f"deriv: error: --wrt {name}: ")


def test_table_labels_use_the_points_as_typed(deriv: Run) -> None:
    outcome = deriv("eval", "x", "--at", "1e-300")
    assert outcome.stdout.splitlines()[3].startswith("x=1e-300 ")


def test_no_color_means_no_escape_codes_even_on_a_terminal() -> None:
    from typer.testing import CliRunner

    from derivcli.cli import app

    runner = CliRunner()
    args = ["eval", "relu(x)", "--at", "0"]
    forced = runner.invoke(app, args, env={"FORCE_COLOR": "1", "NO_COLOR": None, "COLUMNS": "200"})
    assert "\x1b[" in forced.stdout
    plain = runner.invoke(app, args, env={"FORCE_COLOR": "1", "NO_COLOR": "1", "COLUMNS": "200"})
    assert "\x1b[" not in plain.stdout
    assert "relu(x)" in plain.stdout


def test_partial_errors_and_exit_codes(deriv: Run) -> None:
    missing = deriv("partial", "u*v", "--at", "u=1")
    assert (missing.exit_code, missing.stderr) == (
        ExitStatus.BAD_INPUT,
        "deriv: error: no value for variable v in --at 'u=1'; write --at u=...,v=...\n",
    )
    refused = deriv("partial", "u.v", "--at", "u=1", "--json")
    assert refused.exit_code == ExitStatus.BAD_INPUT
    assert refused.json() == {
        "error": {
            "kind": "not-allowed",
            "message": "attribute access is not allowed: 'u.v' (column 1)",
            "column": 1,
        }
    }
    ok = deriv("partial", "u*v", "--at", "u=1,v=2", "--wrt", "v", "--strict", "--json")
    assert ok.exit_code == ExitStatus.OK
    assert ok.json()["wrt"] == ["v"]


def test_json_key_set_of_a_real_run(deriv: Run) -> None:
    from tests.test_render_jsondoc import ENTRY_KEYS, POINT_KEYS, TOP_LEVEL_KEYS

    document = deriv("partial", "u*v + u**2", "--at", "u=1,v=2", "--json").json()
    assert set(document) == TOP_LEVEL_KEYS
    assert set(document["points"][0]) == POINT_KEYS
    assert all(set(entry) == ENTRY_KEYS for entry in document["points"][0]["derivatives"].values())


def test_exact_integers_near_the_limit(deriv: Run) -> None:
    document = deriv("eval", "x*3**10000", "--at", "1", "--json").json()
    assert len(document["points"][0]["derivatives"]["x"]["exact"]) == 4772
    refused = deriv("eval", "x*3**70000", "--at", "1")
    assert refused.exit_code == ExitStatus.BAD_INPUT
    assert "is too large to compute exactly" in refused.stderr


def test_internal_error_is_one_line_and_json(deriv: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    import derivcli.core.compare

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(derivcli.core.compare, "compare", broken)
    outcome = deriv("eval", "x", "--at", "1", "--json")
    assert outcome.exit_code == ExitStatus.INTERNAL_ERROR
    assert outcome.json() == {
        "error": {"kind": "internal", "message": "internal error: RuntimeError: boom", "column": None}
    }
    assert outcome.stderr.startswith("deriv: internal error: RuntimeError: boom (a bug in deriv;")
    assert len(outcome.stderr.splitlines()) == 1


def test_simplify_timeout_must_be_positive(deriv: Run) -> None:
    outcome = deriv("eval", "x", "--simplify", "--simplify-timeout", "0")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr == "deriv: error: --simplify-timeout must be a finite number > 0, got 0.0\n"


def test_installed_versions_match_importlib_metadata() -> None:
    from importlib import metadata

    from derivcli.cli import installed_version

    for package in ("torch", "sympy", "typer"):
        assert installed_version(package) == metadata.version(package)
    assert installed_version("no-such-package-here") is None
