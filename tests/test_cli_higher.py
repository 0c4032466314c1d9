"""--order, --fd, deriv hessian and deriv jacobian end to end in-process: JSON layouts pinned."""

from __future__ import annotations

import json
from collections.abc import Callable

from derivcli.errors import ExitStatus
from tests.conftest import Outcome
from tests.test_render_jsondoc import ENTRY_KEYS, TOP_LEVEL_KEYS

Run = Callable[..., Outcome]
MATRIX_KEYS = {"rows", "columns", "autograd", "symbolic_value", "abs_error", "agree"}


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


def test_hessian_json(deriv: Run) -> None:
    document = deriv("hessian", "x**2*y + y**3", "--at", "x=1,y=2", "--json").json()
    assert set(document) == TOP_LEVEL_KEYS | {"hessian"}
    assert list(document["points"][0]["derivatives"]) == ["x,x", "x,y", "y,x", "y,y"]
    (matrix,) = document["hessian"]
    assert set(matrix) == MATRIX_KEYS | {"symmetric", "max_asymmetry"}
    assert matrix["autograd"] == [[4.0, 2.0], [2.0, 12.0]]
    assert (matrix["symmetric"], matrix["max_asymmetry"]) == (True, 0.0)


def test_hessian_table(deriv: Run) -> None:
    outcome = deriv("hessian", "x**2*y + y**3", "--at", "x=1,y=2")
    lines = outcome.stdout.splitlines()
    assert lines[0] == "Hessian at x=1, y=2"
    assert lines[3].split() == ["x", "4.0", "2.0", "4.0", "2.0", "0", "0"]
    assert lines[5].startswith("symmetric: ✓")


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
        "deriv: error: unknown function 'foo' (column 4)",
        "  x, foo(x)",
        "     ^^^",
    ]
