"""``--bits`` end to end: the cases where floating point loses a derivative, measured, explained and fixed."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from derivcli.errors import ExitStatus
from tests.commands.test_batch import run_with_input
from tests.conftest import Outcome

Run = Callable[..., Outcome]


def _entry(outcome: Outcome) -> dict[str, object]:
    document = outcome.json()
    entry: dict[str, object] = document["points"][0]["derivatives"]["x"]
    return entry


def test_softplus_written_out_overflows_and_softplus_fixes_it(deriv: Run) -> None:
    entry = _entry(deriv("eval", "log(1+exp(x))", "--at", "100", "--dtype", "float32", "--bits", "--json"))
    assert entry["autograd"] == "nan"
    assert entry["bits"] == {
        "autograd": 32.0,
        "symbolic": 32.0,
        "culprit": {
            "operation": "exp(x)",
            "kind": "overflow",
            "node": "ExpBackward0",
            "pass": "forward",
            "local_bits": 32.0,
        },
    }
    rewrites = entry["rewrites"]
    assert isinstance(rewrites, list)
    assert rewrites[0] == {"expression": "softplus(x)", "autograd": 1.0, "bits": 0.0, "where": None}
    # log1p(exp(x)) is equal too, but overflows just the same: it is not listed.
    assert [item["expression"] for item in rewrites] == ["softplus(x)"]


def test_cancellation_in_exp_minus_one_is_named_and_a_fix_really_helps(deriv: Run) -> None:
    entry = _entry(deriv("eval", "(exp(x)-1)/x", "--at", "1e-4", "--dtype", "float32", "--bits", "--json"))
    assert entry["autograd"] == -0.6591796875
    bits = entry["bits"]
    assert isinstance(bits, dict)
    assert bits["autograd"] == pytest.approx(31, abs=0.5)
    assert bits["culprit"]["kind"] == "cancellation"
    assert bits["culprit"]["operation"] == "exp(x) - 1"
    assert bits["culprit"]["node"] == "SubBackward0"
    rewrites = entry["rewrites"]
    assert isinstance(rewrites, list)
    # Best first; each really does better than autograd on the original.
    assert [item["bits"] for item in rewrites] == sorted(item["bits"] for item in rewrites)
    assert all(item["bits"] <= bits["autograd"] - 1 for item in rewrites)
    expm1 = next(item for item in rewrites if item["expression"] == "expm1(x)/x")
    # expm1 fixes the value, but its derivative still cancels: about 9 bits are lost.
    assert expm1["bits"] == pytest.approx(9, abs=1)
    assert rewrites[0]["where"] == "|x| < 0.001"
    assert rewrites[0]["bits"] == 0.0


def test_hypot_for_a_square_that_overflows(deriv: Run) -> None:
    outcome = deriv("eval", "sqrt(x*x+1)", "--at", "1e20", "--dtype", "float32", "--bits")
    assert outcome.exit_code == ExitStatus.OK
    headings = outcome.stdout.splitlines()[1].split()
    assert headings[-5:] == ["autograd", "bits", "symbolic", "bits", "agree"]
    row = outcome.stdout.splitlines()[3].split()
    assert row[-4:-1] == ["30.0", "30.0", "✗"] or row[-5:-2] == ["30.0", "30.0", "✗"]
    assert "the worst operation is x*x (overflow, forward through MulBackward0" in outcome.stdout
    assert "fewer bits lost by hypot(x, 1) (0.0 bits, autograd 1.0)" in outcome.stdout
    document = deriv("eval", "sqrt(x*x+1)", "--at", "1e20", "--dtype", "float32", "--bits", "--json").json()
    entry = document["points"][0]["derivatives"]["x"]
    assert (entry["autograd"], entry["bits"]["autograd"]) == (0.0, 30.0)
    assert entry["rewrites"][0] == {"expression": "hypot(x, 1)", "autograd": 1.0, "bits": 0.0, "where": None}


def test_exact_arithmetic_loses_nothing(deriv: Run) -> None:
    entry = _entry(deriv("eval", "x**2", "--at", "3", "--bits", "--json"))
    assert entry["bits"] == {"autograd": 0.0, "symbolic": 0.0, "culprit": None}
    assert entry["rewrites"] == []


def test_without_bits_both_fields_are_null(deriv: Run) -> None:
    entry = _entry(deriv("eval", "x**2", "--at", "3", "--json"))
    assert (entry["bits"], entry["rewrites"]) == (None, None)


def test_partial_measures_each_variable(deriv: Run) -> None:
    document = deriv(
        "partial", "log(exp(u)+exp(v))", "--at", "u=100,v=99", "--dtype", "float32", "--bits", "--json"
    ).json()
    entries = document["points"][0]["derivatives"]
    for name in ("u", "v"):
        assert entries[name]["bits"]["autograd"] == 32.0
        assert entries[name]["rewrites"][0]["expression"] == "logaddexp(u, v)"
        assert entries[name]["rewrites"][0]["bits"] <= 1.0


def test_a_derivative_with_no_number_has_no_bits(deriv: Run) -> None:
    entry = _entry(deriv("eval", "abs(x)", "--at", "0", "--bits", "--json"))
    # At the kink the exact derivative (SymPy's sign(0) = 0) is a number, so it is measured.
    assert entry["bits"]["autograd"] == 0.0
    entry = _entry(deriv("eval", "sqrt(x)", "--at", "0", "--bits", "--json"))
    assert entry["bits"] == {"autograd": None, "symbolic": None, "culprit": None}


def test_grid_bits_of_softplus_written_out(deriv: Run) -> None:
    outcome = deriv(
        "grid",
        "log(1+exp(x))",
        "--range",
        "x=-100:100",
        "--num",
        "2001",
        "--dtype",
        "float32",
        "--bits",
        "--json",
    )
    bits = outcome.json()["derivatives"]["x"]["bits"]
    assert bits["autograd"]["max"] == 32.0
    assert 88 < bits["autograd"]["max_at"]["x"] < 89
    assert 0 < bits["autograd"]["mean"] < 32
    assert bits["autograd"]["measured"] == 2001
    assert set(bits) == {"autograd", "symbolic"}
    assert set(bits["symbolic"]) == {"max", "mean", "max_at", "measured"}


def test_grid_bits_in_the_summary(deriv: Run) -> None:
    outcome = deriv("grid", "sin(x)", "--range", "x=0:1", "--num", "11", "--bits")
    assert "d/dx bits of error: autograd loses up to" in outcome.stdout
    assert outcome.exit_code == ExitStatus.OK


def test_grid_without_bits_has_null(deriv: Run) -> None:
    document = deriv("grid", "sin(x)", "--range", "x=0:1", "--num", "11", "--json").json()
    assert document["derivatives"]["x"]["bits"] is None


def test_batch_line_asks_for_bits() -> None:
    lines = "\n".join(
        json.dumps(line)
        for line in (
            {"expr": "log(1+exp(x))", "at": 100, "dtype": "float32", "bits": True},
            {"expr": "x**2", "at": 3},
            {"expr": "x", "at": 1, "bits": "yes"},
        )
    )
    runner_outcome = run_with_input(text=lines)
    answers = [json.loads(line) for line in runner_outcome.stdout.splitlines()]
    entry = answers[0]["points"][0]["derivatives"]["x"]
    assert entry["bits"]["autograd"] == 32.0
    assert entry["rewrites"][0]["expression"] == "softplus(x)"
    assert answers[1]["points"][0]["derivatives"]["x"]["bits"] is None
    assert answers[2]["error"]["message"] == "\"bits\" must be true or false, got 'yes'"
