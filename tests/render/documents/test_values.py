"""Strict JSON numbers, strict serialising, and the error document."""

from __future__ import annotations

import json
import math

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.render.documents.eval import report_document
from derivcli.render.documents.values import dumps, error_document, json_number
from tests.render.documents.test_eval import sample_report


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
