"""``deriv eval`` and ``partial`` end to end in-process: JSON parsed and asserted, errors, exit statuses."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from derivcli.errors import ExitStatus
from derivcli.parsing.grammar import KNOWN_FUNCTIONS
from tests.conftest import Outcome
from tests.render.documents.test_eval import ENTRY_KEYS

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
        "error": {
            "kind": "unknown-function",
            "message": f"unknown function 'foo' (column 3); the functions are {KNOWN_FUNCTIONS}",
            "column": 3,
        }
    }
    assert (
        outcome.stderr.splitlines()[0]
        == f"deriv: error: unknown function 'foo' (column 3); the functions are {KNOWN_FUNCTIONS}"
    )


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


def test_no_points_shows_the_derivative(deriv: Run) -> None:
    outcome = deriv("eval", "sin(x)", "--json")
    assert outcome.json()["symbolic"] == {"x": "cos(x)"}
    assert outcome.json()["points"] == []


def test_simplify_flag(deriv: Run) -> None:
    document = deriv("eval", "(x**2 - 1)/(x - 1)", "--simplify", "--json").json()
    assert document["symbolic"] == {"x": "1"}


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
    from tests.render.documents.test_eval import ENTRY_KEYS, POINT_KEYS, TOP_LEVEL_KEYS

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
    import derivcli.work.eval

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    # The pipeline looks the worker's entry up by name, in the worker forked from this process.
    monkeypatch.setattr(derivcli.work.eval, "run", broken)
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


def test_second_derivative_of_x_to_the_fourth(deriv: Run) -> None:
    document = deriv("eval", "x**4", "--at", "x=2", "--order", "2", "--json").json()
    assert document["order"] == 2
    assert document["symbolic"] == {"x,x": "12*x**2"}
    entry = document["points"][0]["derivatives"]["x,x"]
    assert (entry["exact"], entry["autograd"], entry["agree"]) == ("48", 48.0, True)


def test_third_derivative_table_label(deriv: Run) -> None:
    outcome = deriv("eval", "sin(x)", "--at", "x=0.5", "--order", "3")
    assert "d³/dx³ = -cos(x)" in outcome.stdout


def test_order_out_of_range(deriv: Run) -> None:
    outcome = deriv("eval", "x", "--at", "1", "--order", "0", "--json")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert json.loads(outcome.stdout)["error"]["message"] == "--order must be from 1 to 10, got 0"


def test_fd_column_in_json(deriv: Run) -> None:
    document = deriv("partial", "u*v + u**2", "--at", "u=1,v=2", "--fd", "--json").json()
    entry = document["points"][0]["derivatives"]["u"]
    assert set(entry) == ENTRY_KEYS
    assert entry["fd"] == 4.0
    assert entry["fd_abs_error"] <= entry["fd_error_bound"]


def test_fd_with_order_three_is_refused(deriv: Run) -> None:
    outcome = deriv("eval", "x**4", "--at", "1", "--order", "3", "--fd")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr == "deriv: error: --fd gives first and second derivatives, not order 3 or more\n"


def test_the_order_option_states_its_default_once(deriv: Run) -> None:
    text = " ".join(deriv("eval", "--help").stdout.split())
    assert text.count("[default: 1]") == 1
    assert "for the third [default: 1]." in text
