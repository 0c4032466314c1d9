"""The JSON contract: key sets pinned, strict numbers."""

from __future__ import annotations

import json
import math

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.eval import DerivativeEntry, PointReport, Report
from derivcli.render.jsondoc import dumps, error_document, json_number, report_document

TOP_LEVEL_KEYS = {
    "input",
    "expression",
    "variables",
    "wrt",
    "device",
    "dtype",
    "order",
    "rtol",
    "atol",
    "symbolic",
    "points",
    "agree",
    "notes",
}
POINT_KEYS = {"at", "at_exact", "at_input", "value", "value_exact", "value_autograd", "derivatives"}
ENTRY_KEYS = {
    "symbolic",
    "exact",
    "symbolic_value",
    "autograd",
    "abs_error",
    "rel_error",
    "agree",
    "note",
    "fd",
    "fd_error_bound",
    "fd_abs_error",
}


def sample_report(autograd: float = 38.0, exact_value: float = 38.0) -> Report:
    entry = DerivativeEntry(
        symbolic="12*x + 2",
        exact="38",
        symbolic_value=exact_value,
        autograd=autograd,
        abs_error=0.0,
        rel_error=0.0,
        agree=True,
        note=None,
    )
    point = PointReport(
        at={"x": 3.0},
        at_exact={"x": "3"},
        at_input={"x": "3"},
        value=64.0,
        value_exact="64",
        value_autograd=64.0,
        derivatives={"x": entry},
    )
    return Report(
        input="6*x**2+2*x+4",
        expression="6*x**2 + 2*x + 4",
        variables=("x",),
        wrt=("x",),
        device="cpu",
        dtype="float64",
        order=1,
        rtol=1e-9,
        atol=1e-12,
        derivatives={"x": "12*x + 2"},
        points=(point,),
        notes=(),
    )


def test_contract_key_sets() -> None:
    document = report_document(sample_report())
    assert set(document) == TOP_LEVEL_KEYS
    assert set(document["points"][0]) == POINT_KEYS
    assert set(document["points"][0]["derivatives"]["x"]) == ENTRY_KEYS


def test_contract_example_values() -> None:
    document = report_document(sample_report())
    assert document["points"][0]["at"] == {"x": 3.0}
    assert document["points"][0]["value"] == 64.0
    assert document["points"][0]["derivatives"]["x"] == {
        "symbolic": "12*x + 2",
        "exact": "38",
        "symbolic_value": 38.0,
        "autograd": 38.0,
        "abs_error": 0.0,
        "rel_error": 0.0,
        "agree": True,
        "note": None,
        "fd": None,
        "fd_error_bound": None,
        "fd_abs_error": None,
    }
    assert (document["order"], document["dtype"], document["device"]) == (1, "float64", "cpu")


@pytest.mark.parametrize(
    ("value", "expected"), [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf"), (1.5, 1.5)]
)
def test_non_finite_numbers_are_strings(value: float, expected: object) -> None:
    assert json_number(value) == expected


def test_dumps_is_strict() -> None:
    text = dumps(report_document(sample_report(autograd=math.inf, exact_value=math.nan)))
    entry = json.loads(text)["points"][0]["derivatives"]["x"]
    assert (entry["autograd"], entry["symbolic_value"]) == ("inf", "nan")
    with pytest.raises(ValueError, match="Out of range float values"):
        dumps({"bad": math.nan})


def test_error_document() -> None:
    error = DerivError(
        ErrorKind.UNKNOWN_FUNCTION, "unknown function 'foo'", source="foo(x)", column=1, length=3
    )
    assert error_document(error) == {
        "error": {"kind": "unknown-function", "message": "unknown function 'foo' (column 1)", "column": 1}
    }
