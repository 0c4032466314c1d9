"""deriv jacobian end to end: the JSON layout, and errors that point into the components as typed."""

from __future__ import annotations

import json
from collections.abc import Callable

from derivcli.errors import ExitStatus
from derivcli.parsing.grammar import KNOWN_FUNCTIONS
from tests.conftest import Outcome
from tests.render.documents.test_eval import TOP_LEVEL_KEYS

Run = Callable[..., Outcome]
MATRIX_KEYS = {"rows", "columns", "autograd", "symbolic_value", "abs_error", "agree"}


def test_jacobian_json_layout(deriv: Run) -> None:
    document = deriv("jacobian", "x*y, x + y, sin(x)", "--at", "x=1,y=2", "--json").json()
    assert set(document) == {"input", "components", "variables", "rows", "jacobian", "agree"}
    assert document["components"] == ["x*y", "x + y", "sin(x)"]
    assert all(set(row) == TOP_LEVEL_KEYS for row in document["rows"])
    (matrix,) = document["jacobian"]
    assert set(matrix) == MATRIX_KEYS | {"at"}
    assert matrix["autograd"][0] == [2.0, 1.0]
    assert matrix["at"] == {"x": 1.0, "y": 2.0}


def test_jacobian_needs_two_components_and_points_errors_into_the_text(deriv: Run) -> None:
    one = deriv("jacobian", "x*y", "--at", "x=1,y=2", "--json")
    assert one.exit_code == ExitStatus.BAD_INPUT
    assert json.loads(one.stdout)["error"]["kind"] == "bad-option"
    bad = deriv("jacobian", "x, foo(x)", "--at", "x=1")
    assert bad.stderr.splitlines() == [
        f"deriv: error: unknown function 'foo' (column 4); the functions are {KNOWN_FUNCTIONS}",
        "  x, foo(x)",
        "     ^^^",
    ]


def test_each_jacobian_says_whether_the_witnesses_agree(deriv: Run) -> None:
    lines = deriv("jacobian", "x*y, relu(x)", "--at", "x=0,y=2", "--at", "x=1,y=2").stdout.splitlines()
    verdicts = [line for line in lines if line.startswith("autograd and symbolic agree:")]
    assert verdicts == ["autograd and symbolic agree: ✗", "autograd and symbolic agree: ✓"]
