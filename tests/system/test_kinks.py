"""Verdicts at kinks end to end: Clarke sets, spellings, one-sided differences, explained disagreements."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from derivcli.cli import app
from derivcli.errors import ExitStatus
from derivcli.model.versions import versions
from tests.conftest import FIXTURES, Outcome

Run = Callable[..., Outcome]


def _entry(outcome: Outcome, name: str = "x") -> dict[str, object]:
    entry: dict[str, object] = outcome.json()["points"][0]["derivatives"][name]
    return entry


def test_an_artificial_critical_point(deriv: Run) -> None:
    entry = _entry(deriv("eval", "relu(x)-relu(-x)", "--at", "0", "--json"))
    assert entry["clarke"] == [1.0, 1.0]
    assert entry["autograd"] == 0.0
    assert (entry["autograd_in_clarke"], entry["artificial_critical_point"]) == (False, True)
    assert (
        deriv("eval", "relu(x)-relu(-x)", "--at", "0", "--strict-clarke").exit_code == ExitStatus.DISAGREEMENT
    )
    outcome = deriv("eval", "relu(x)-relu(-x)", "--at", "0")
    assert "autograd's 0 is outside it: an artificial critical point" in outcome.stdout


def test_relu_at_its_kink_is_in_the_clarke_set(deriv: Run) -> None:
    outcome = deriv("eval", "relu(x)", "--at", "0", "--strict-clarke", "--json")
    assert outcome.exit_code == ExitStatus.OK
    entry = _entry(outcome)
    assert (entry["clarke"], entry["min_norm"], entry["autograd_in_clarke"]) == ([0.0, 1.0], 0.0, True)
    assert entry["artificial_critical_point"] is False


def test_a_smooth_point_has_no_verdict(deriv: Run) -> None:
    entry = _entry(deriv("eval", "relu(x)", "--at", "2", "--json"))
    assert [
        entry[key] for key in ("clarke", "min_norm", "autograd_in_clarke", "artificial_critical_point")
    ] == [None] * 4


def test_max_of_two_variables_along_each_axis(deriv: Run) -> None:
    outcome = deriv("partial", "max(x,y)", "--at", "x=0,y=0", "--json")
    for name in ("x", "y"):
        entry = _entry(outcome, name)
        assert (entry["autograd"], entry["clarke"], entry["autograd_in_clarke"]) == (0.5, [0.0, 1.0], True)


def test_spellings_of_relu_come_from_the_running_torch(deriv: Run) -> None:
    document = deriv("spellings", "relu(x)", "--at", "0", "--json").document()
    assert document["clarke"] == [0.0, 1.0]
    assert document["versions"] == versions()
    rows = {row["spelling"]: row for row in document["spellings"]}
    expected = {
        "torch.relu(x)": 0.0,
        "torch.maximum(x, torch.zeros_like(x))": 0.5,
        "torch.fmax(x, torch.zeros_like(x))": 1.0,
        "torch.where(x > 0, x, 0)": 0.0,
        "x * (x > 0)": 0.0,
        "(x + torch.abs(x)) / 2": 0.5,
    }
    for spelling, value in expected.items():
        assert rows[spelling]["autograd"] == value, spelling
    # clamp's gradient at its bound is 1 up to torch 2.13 and 0 from 2.14: whatever it is, it is in [0, 1].
    torch_version = tuple(int(part) for part in str(versions()["torch"]).split("+")[0].split(".")[:2])
    assert rows["torch.clamp(x, min=0)"]["autograd"] == (1.0 if torch_version <= (2, 13) else 0.0)
    assert all(row["in_clarke"] is True for row in document["spellings"])
    assert all(row["site"] == "relu(x)" for row in document["spellings"])


def test_spellings_of_abs_include_one_that_is_nan(deriv: Run) -> None:
    outcome = deriv("spellings", "abs(x)", "--at", "0")
    assert outcome.exit_code == ExitStatus.OK
    (line,) = [line for line in outcome.stdout.splitlines() if "torch.sqrt(x**2)" in line]
    assert line.split()[-2:] == ["nan", "✗"]
    assert deriv("spellings", "abs(x)", "--at", "0", "--strict-clarke").exit_code == ExitStatus.DISAGREEMENT


def test_spellings_of_heaviside_say_torch_has_no_derivative(deriv: Run) -> None:
    document = deriv("spellings", "heaviside(x)", "--at", "0", "--json").json()
    assert [row["spelling"] for row in document["spellings"]] == [
        "torch.heaviside(x, torch.tensor(0.0))",
        "torch.heaviside(x, torch.tensor(0.5))",
        "torch.heaviside(x, torch.tensor(1.0))",
    ]
    assert all(row["autograd"] is None and "not implemented" in row["error"] for row in document["spellings"])


def test_spellings_needs_one_point(deriv: Run) -> None:
    outcome = deriv("spellings", "relu(x)", "--at", "0", "--at", "1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert "give exactly one --at (got 2)" in outcome.stderr


def test_one_sided_differences_at_a_kink(deriv: Run) -> None:
    entry = _entry(deriv("eval", "abs(x)", "--at", "0", "--fd", "--json"))
    left, right = entry["fd_left"], entry["fd_right"]
    assert isinstance(left, dict)
    assert isinstance(right, dict)
    assert left["value"] == pytest.approx(-1, abs=1e-9)
    assert right["value"] == pytest.approx(1, abs=1e-9)
    assert (entry["autograd"], entry["autograd_between_fd"]) == (0.0, True)
    smooth = _entry(deriv("eval", "abs(x)", "--at", "2", "--fd", "--json"))
    assert (smooth["fd_left"], smooth["fd_right"], smooth["autograd_between_fd"]) == (None, None, None)


def test_strict_unexplained_passes_a_kink_that_strict_fails(deriv: Run) -> None:
    assert deriv("eval", "relu(x)", "--at", "0", "--strict-unexplained").exit_code == ExitStatus.OK
    assert deriv("eval", "relu(x)", "--at", "0", "--strict").exit_code == ExitStatus.DISAGREEMENT
    entry = _entry(deriv("eval", "relu(x)", "--at", "0", "--json"))
    assert entry["explained"] is True
    assert _entry(deriv("eval", "x**2", "--at", "3", "--json"))["explained"] is None


def test_batch_counts_rows_agreeing_explained_and_unexplained() -> None:
    text = '{"expr": "relu(x)", "at": 0}\n{"expr": "x**2", "at": 3}\n'
    result = CliRunner().invoke(app, ["batch"], input=text, env={"NO_COLOR": "1"})
    assert result.exit_code == ExitStatus.OK
    assert result.stderr.splitlines()[1] == "deriv batch: 2 rows, 1 agree, 1 explained, 0 unexplained"
    first = json.loads(result.stdout.splitlines()[0])
    assert first["versions"] == versions()


def test_grid_counts_points_on_a_kink_once(deriv: Run) -> None:
    document = deriv("grid", "relu(x)-relu(-x)", "--range", "x=-1:1", "--num", "101", "--json").json()
    assert [kink["on_grid"] for kink in document["kinks"]] == [1, 1]
    assert document["kink_hits"] == 1
    assert deriv("grid", "relu(x)", "--range", "x=-1:1", "--num", "100", "--json").json()["kink_hits"] == 0


@pytest.mark.parametrize(
    ("name", "passed", "low", "high"), [("SQ", False, 0.0, 1.3), ("GoodSQ", True, 1.8, 2.2)]
)
def test_taylor_remainder_order(deriv: Run, name: str, passed: bool, low: float, high: float) -> None:
    outcome = deriv(
        "check", f"{FIXTURES / 'lab_ops.py'}:{name}", "--against", "x**2", "--at", "x=2", "--taylor", "--json"
    )
    document = outcome.json()
    taylor = document["checks"][-1]
    assert taylor["name"] == "Taylor remainder order"
    assert low < taylor["order"] < high
    assert taylor["status"] == ("pass" if passed else "fail")
    assert outcome.exit_code == (ExitStatus.OK if passed else ExitStatus.DISAGREEMENT)


def test_every_json_document_says_which_versions_made_it(deriv: Run) -> None:
    assert deriv("eval", "x", "--at", "1", "--json").document()["versions"] == versions()
    assert deriv("eval", "foo(x)", "--json").document()["versions"] == versions()
    assert deriv("grid", "x", "--range", "x=0:1", "--num", "3", "--json").document()["versions"] == versions()
