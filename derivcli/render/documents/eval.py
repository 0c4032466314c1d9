"""The documents of eval, partial, hessian, jacobian, and each line of batch."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from derivcli.errors import DerivError
from derivcli.model.bits import shown_bits

if TYPE_CHECKING:
    from derivcli.model.batch import BatchResult
    from derivcli.model.bits import Bits, Rewrite
    from derivcli.model.eval import AutogradOnly, DerivativeEntry, OneSided, PointReport, Report
    from derivcli.model.hessian import HessianReport
    from derivcli.model.jacobian import JacobianReport, Matrix

from derivcli.render.documents.values import (
    JsonNumber,
    error_document,
    json_number,
    numbers_document,
    optional_number,
    with_versions,
)


def entry_document(entry: DerivativeEntry) -> dict[str, Any]:
    """One derivative at one point."""
    return {
        "symbolic": entry.symbolic,
        "exact": entry.exact,
        "symbolic_value": optional_number(entry.symbolic_value),
        "autograd": optional_number(entry.autograd),
        "abs_error": optional_number(entry.abs_error),
        "rel_error": optional_number(entry.rel_error),
        "agree": entry.agree,
        "note": entry.note,
        "fd": optional_number(entry.fd),
        "fd_error_bound": optional_number(entry.fd_error_bound),
        "fd_abs_error": optional_number(entry.fd_abs_error),
        "bits": None if entry.bits is None else bits_document(entry.bits),
        "rewrites": None if entry.rewrites is None else [rewrite_document(item) for item in entry.rewrites],
        "clarke": None if entry.clarke is None else [json_number(bound) for bound in entry.clarke],
        "min_norm": optional_number(entry.min_norm),
        "autograd_in_clarke": entry.autograd_in_clarke,
        "artificial_critical_point": entry.artificial_critical_point,
        "fd_left": _one_sided_document(entry.fd_left),
        "fd_right": _one_sided_document(entry.fd_right),
        "autograd_between_fd": entry.autograd_between_fd,
        "explained": entry.explained,
    }


def _one_sided_document(side: OneSided | None) -> dict[str, JsonNumber] | None:
    """A one-sided finite difference and its bound, or null."""
    if side is None:
        return None
    return {"value": json_number(side.value), "error_bound": json_number(side.error_bound)}


def bits_document(bits: Bits) -> dict[str, Any]:
    """Bits of error of both witnesses, and the operation that loses the most."""
    culprit = bits.culprit
    return {
        "autograd": bits.autograd,
        "symbolic": bits.symbolic,
        "culprit": None
        if culprit is None
        else {
            "operation": culprit.operation,
            "kind": culprit.kind.value,
            "node": culprit.node,
            "pass": culprit.pass_.value,
            "local_bits": shown_bits(culprit.local_bits),
        },
    }


def rewrite_document(rewrite: Rewrite) -> dict[str, Any]:
    """A rewrite that loses fewer bits: the expression, autograd's derivative of it, and its bits."""
    return {
        "expression": rewrite.expression,
        "autograd": json_number(rewrite.autograd),
        "bits": rewrite.bits,
        "where": rewrite.where,
    }


def point_document(point: PointReport) -> dict[str, Any]:
    """Everything at one point."""
    return {
        "at": numbers_document(point.at),
        "at_exact": dict(point.at_exact),
        "at_input": dict(point.at_input),
        "value": optional_number(point.value),
        "value_exact": point.value_exact,
        "value_autograd": optional_number(point.value_autograd),
        "derivatives": {name: entry_document(entry) for name, entry in point.derivatives.items()},
        "tangent": None
        if point.tangent is None
        else {
            "exact": point.tangent.exact,
            "slope": optional_number(point.tangent.slope),
            "intercept": optional_number(point.tangent.intercept),
        },
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
        "latex": None
        if report.latex is None
        else {"f": report.latex.function, "derivatives": dict(report.latex.derivatives)},
    }


def autograd_only_document(result: AutogradOnly, error: DerivError) -> dict[str, Any]:
    """The --json document of eval and partial when the symbolic side ran out of time after autograd."""
    return {
        **error_document(error),
        "input": result.input,
        "variables": list(result.variables),
        "wrt": list(result.wrt),
        "device": result.device,
        "dtype": result.dtype,
        "order": result.order,
        "autograd": [
            {
                "at": numbers_document(point.at),
                "at_input": dict(point.at_input),
                "value": optional_number(point.value),
                "derivatives": numbers_document(point.derivatives),
            }
            for point in result.points
        ],
    }


def matrix_document(matrix: Matrix) -> dict[str, Any]:
    """A matrix of derivatives at one point: autograd, symbolic value and abs error, row by row."""
    return {
        "rows": list(matrix.rows),
        "columns": list(matrix.columns),
        "autograd": [[json_number(value) for value in row] for row in matrix.autograd],
        "symbolic_value": [[json_number(value) for value in row] for row in matrix.symbolic],
        "abs_error": [[json_number(value) for value in row] for row in matrix.abs_error],
        "agree": matrix.agree,
    }


def hessian_document(hessian: HessianReport) -> dict[str, Any]:
    """``deriv hessian --json``: the core document (keys "x,y"), plus the matrices and their symmetry."""
    document = report_document(hessian.report)
    document["hessian"] = [
        {
            **matrix_document(entry.matrix),
            "symmetric": entry.symmetric,
            "max_asymmetry": json_number(entry.max_asymmetry),
        }
        for entry in hessian.matrices
    ]
    return document


def jacobian_document(report: JacobianReport) -> dict[str, Any]:
    """``deriv jacobian --json``: the components, one core document per row, and the matrix at each point."""
    return {
        "input": report.input,
        "components": list(report.components),
        "variables": list(report.variables),
        "rows": [report_document(row) for row in report.rows],
        "jacobian": [
            {"at": point.at, **matrix_document(matrix)}
            for point, matrix in zip(report.rows[0].points, report.matrices, strict=True)
        ],
        "agree": report.all_agree,
    }


def batch_line(result: BatchResult) -> str:
    """One output line of ``deriv batch``: the eval/partial document (or an error) with "line" and "id"."""
    head: dict[str, Any] = {"line": result.line}
    if result.has_id:
        head["id"] = result.id
    if result.report is not None:
        body = report_document(result.report)
    else:
        assert result.error is not None
        body = error_document(result.error)
    return json.dumps(
        with_versions({**head, **body}), ensure_ascii=True, allow_nan=False, separators=(",", ":")
    )
