"""The JSON contract, built from result objects in this one place.

Documents are strict JSON: non-finite numbers become the strings ``"nan"``,
``"inf"`` and ``"-inf"``, never the ``NaN``/``Infinity`` literals that strict
parsers refuse; non-ASCII characters are escaped, so any stdout encoding works.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from derivcli.compare import DerivativeEntry, PointReport, Report
from derivcli.errors import DerivError

JsonNumber = float | str


def json_number(value: float) -> JsonNumber:
    """A float as strict JSON allows it: itself when finite, else "nan", "inf" or "-inf"."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def entry_document(entry: DerivativeEntry) -> dict[str, Any]:
    """One derivative at one point."""
    return {
        "symbolic": entry.symbolic,
        "exact": entry.exact,
        "symbolic_value": json_number(entry.symbolic_value),
        "autograd": json_number(entry.autograd),
        "abs_error": json_number(entry.abs_error),
        "rel_error": json_number(entry.rel_error),
        "agree": entry.agree,
        "note": entry.note,
    }


def _numbers(values: Mapping[str, float]) -> dict[str, JsonNumber]:
    return {name: json_number(value) for name, value in values.items()}


def point_document(point: PointReport) -> dict[str, Any]:
    """Everything at one point."""
    return {
        "at": _numbers(point.at),
        "at_exact": dict(point.at_exact),
        "at_input": dict(point.at_input),
        "value": json_number(point.value),
        "value_exact": point.value_exact,
        "value_autograd": json_number(point.value_autograd),
        "derivatives": {name: entry_document(entry) for name, entry in point.derivatives.items()},
    }


def report_document(report: Report) -> dict[str, Any]:
    """The document of ``deriv eval --json`` and ``deriv partial --json``."""
    return {
        "input": report.input,
        "expression": report.expression,
        "variables": list(report.variables),
        "wrt": list(report.wrt),
        "device": report.device,
        "dtype": report.dtype,
        "order": report.order,
        "rtol": report.rtol,
        "atol": report.atol,
        "symbolic": dict(report.derivatives),
        "points": [point_document(point) for point in report.points],
        "agree": report.all_agree,
        "notes": list(report.notes),
    }


def error_document(error: DerivError) -> dict[str, Any]:
    """The document printed on stdout for an error under ``--json``."""
    return {"error": {"kind": error.kind.value, "message": error.describe(), "column": error.column}}


def dumps(document: Mapping[str, Any]) -> str:
    """Serialise strictly: a stray non-finite float is a bug, so it raises."""
    return json.dumps(document, indent=2, ensure_ascii=True, allow_nan=False)
