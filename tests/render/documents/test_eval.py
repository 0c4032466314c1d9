"""The JSON contract of eval and partial: key sets pinned, example values, symbolic points."""

from __future__ import annotations

import dataclasses
import json
import math

from derivcli.model.bits import Bits, Culprit, LossKind, Pass, Rewrite
from derivcli.model.eval import DerivativeEntry, PointReport, Report
from derivcli.render.documents.eval import entry_document, report_document
from derivcli.render.documents.values import dumps

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
    "latex",
}
POINT_KEYS = {
    "at",
    "at_exact",
    "at_input",
    "value",
    "value_exact",
    "value_autograd",
    "derivatives",
    "tangent",
}
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
    "bits",
    "rewrites",
    "clarke",
    "min_norm",
    "autograd_in_clarke",
    "artificial_critical_point",
    "fd_left",
    "fd_right",
    "autograd_between_fd",
    "explained",
}
BITS_KEYS = {"autograd", "symbolic", "culprit"}
CULPRIT_KEYS = {"operation", "kind", "node", "pass", "local_bits"}
REWRITE_KEYS = {"expression", "autograd", "bits", "where"}


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
        "bits": None,
        "rewrites": None,
        "clarke": None,
        "min_norm": None,
        "autograd_in_clarke": None,
        "artificial_critical_point": None,
        "fd_left": None,
        "fd_right": None,
        "autograd_between_fd": None,
        "explained": None,
    }
    assert (document["order"], document["dtype"], document["device"]) == (1, "float64", "cpu")


def test_contract_symbolic_point() -> None:
    # At a symbolic point the exact texts stand, and every number is null (never NaN or a string).
    entry = DerivativeEntry(
        symbolic="12*x + 2",
        exact="12*a + 2",
        symbolic_value=None,
        autograd=None,
        abs_error=None,
        rel_error=None,
        agree=None,
        note=None,
    )
    point = PointReport(
        at={"x": None},
        at_exact={"x": "a"},
        at_input={"x": "a"},
        value=None,
        value_exact="6*a**2 + 2*a + 4",
        value_autograd=None,
        derivatives={"x": entry},
    )
    report = dataclasses.replace(sample_report(), points=(point,))
    document = json.loads(dumps(report_document(report)))
    point_document = document["points"][0]
    assert set(point_document) == POINT_KEYS
    assert (point_document["at"], point_document["value"], point_document["value_autograd"]) == (
        {"x": None},
        None,
        None,
    )
    assert {key: point_document["derivatives"]["x"][key] for key in ("exact", "autograd", "agree")} == {
        "exact": "12*a + 2",
        "autograd": None,
        "agree": None,
    }
    assert document["agree"] is True


def test_contract_bits_and_rewrites() -> None:
    report = sample_report()
    entry = report.points[0].derivatives["x"]
    measured = dataclasses.replace(
        entry,
        bits=Bits(
            31.04, 30.96, Culprit("exp(x) - 1", LossKind.CANCELLATION, "SubBackward0", 10.64, Pass.FORWARD)
        ),
        rewrites=(Rewrite("expm1(x)/x", 0.5, 9.1), Rewrite("1 + x/2", math.nan, 0.0, "|x| < 0.001")),
    )
    document = entry_document(measured)
    assert set(document["bits"]) == BITS_KEYS
    assert set(document["bits"]["culprit"]) == CULPRIT_KEYS
    assert all(set(item) == REWRITE_KEYS for item in document["rewrites"])
    assert document["bits"] == {
        "autograd": 31.04,
        "symbolic": 30.96,
        "culprit": {
            "operation": "exp(x) - 1",
            "kind": "cancellation",
            "node": "SubBackward0",
            "pass": "forward",
            "local_bits": 10.6,
        },
    }
    assert document["rewrites"] == [
        {"expression": "expm1(x)/x", "autograd": 0.5, "bits": 9.1, "where": None},
        {"expression": "1 + x/2", "autograd": "nan", "bits": 0.0, "where": "|x| < 0.001"},
    ]
    # Without a culprit the object stays, with null in its place.
    quiet = entry_document(dataclasses.replace(entry, bits=Bits(0.0, 0.0, None), rewrites=()))
    assert (quiet["bits"]["culprit"], quiet["rewrites"]) == (None, [])
