"""``deriv hessian`` end to end in-process: the matrices, their symmetry and the JSON layout."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import Outcome
from tests.render.documents.test_eval import TOP_LEVEL_KEYS

Run = Callable[..., Outcome]
MATRIX_KEYS = {"rows", "columns", "autograd", "symbolic_value", "abs_error", "agree"}


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
