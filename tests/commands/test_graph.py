"""deriv graph end to end in-process: JSON nodes and edges, DOT files, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from derivcli.errors import ExitStatus
from tests.conftest import Outcome

Run = Callable[..., Outcome]


def test_json_graph_of_the_lab(deriv: Run) -> None:
    outcome = deriv("graph", "sin(x)*exp(x)", "--at", "x=0.5", "--json")
    assert outcome.exit_code == ExitStatus.OK
    document = outcome.json()
    assert set(document) == {
        "input",
        "expression",
        "variables",
        "wrt",
        "at",
        "at_input",
        "device",
        "dtype",
        "value",
        "nodes",
        "edges",
        "tensors",
        "gradients",
    }
    assert [node["name"] for node in document["nodes"]] == [
        "MulBackward0",
        "SinBackward0",
        "AccumulateGrad",
        "ExpBackward0",
    ]
    assert document["edges"] == [
        {"from": 0, "to": 1},
        {"from": 0, "to": 3},
        {"from": 1, "to": 2},
        {"from": 3, "to": 2},
    ]
    assert document["nodes"][2]["variable"] == "x"
    assert document["nodes"][1]["local_derivatives"][0]["derivative"] == "cos(x)"
    assert document["tensors"]["before"]["x"]["grad"] is None
    assert document["tensors"]["after"]["x"]["grad"] == document["gradients"]["x"]["autograd"]
    assert document["gradients"]["x"]["agree"] is True


def test_dot_file_and_table(deriv: Run, tmp_path: Path) -> None:
    target = tmp_path / "graph.dot"
    outcome = deriv("graph", "u*v + u**2", "--at", "u=1,v=2", "--dot", str(target))
    assert outcome.exit_code == 0
    assert target.read_text().startswith("digraph backward {")
    assert outcome.stdout.splitlines()[2] == "AddBackward0  u*v + u**2 = 3   ∂/∂(u*v) = 1; ∂/∂(u**2) = 1"


def test_dot_to_stdout_is_the_only_output(deriv: Run) -> None:
    outcome = deriv("graph", "x**2", "--at", "x=2", "--dot", "-")
    assert outcome.stdout.startswith("digraph backward {")
    assert outcome.stdout.count("digraph") == 1


def test_refusals(deriv: Run) -> None:
    cases = [
        (("x**2",), "bad-point", "deriv graph draws the graph at one point: give exactly one --at (got 0)"),
        (("x**2", "--at", "1", "--at", "2"), "bad-point", "give exactly one --at (got 2)"),
        (("x**2", "--at", "1", "--dot", "-"), "bad-option", "--dot - and --json both write to stdout"),
        (("x*y", "--at", "x=1"), "missing-value", "no value for variable y"),
    ]
    for args, kind, message in cases:
        outcome = deriv("graph", *args, "--json")
        assert outcome.exit_code == ExitStatus.BAD_INPUT
        error = json.loads(outcome.stdout)["error"]
        assert error["kind"] == kind
        assert message in error["message"]


def test_dot_that_cannot_be_written_is_one_line(deriv: Run) -> None:
    import os

    import pytest

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    outcome = deriv("graph", "x**2", "--at", "1", "--dot", "/dev/full")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr == "deriv: error: writing '/dev/full' failed: No space left on device\n"
