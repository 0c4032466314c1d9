"""The JSON contract: every document deriv prints, built from report objects in this one place.

Documents are strict JSON: non-finite numbers become the strings ``"nan"``,
``"inf"`` and ``"-inf"``, never the ``NaN``/``Infinity`` literals that strict
parsers refuse; non-ASCII characters are escaped, so any stdout encoding works.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from derivcli.errors import DerivError
from derivcli.model.bits import shown_bits
from derivcli.model.versions import versions

if TYPE_CHECKING:
    from derivcli.model.batch import BatchResult
    from derivcli.model.bits import Bits, BitsSummary, Rewrite
    from derivcli.model.check import CheckReport
    from derivcli.model.eval import AutogradOnly, DerivativeEntry, OneSided, PointReport, Report
    from derivcli.model.graph import GraphReport, TensorState
    from derivcli.model.grid import DerivativeBits, GridPoint, GridReport, KinkStats
    from derivcli.model.hessian import HessianReport
    from derivcli.model.implicit import ImplicitReport
    from derivcli.model.jacobian import JacobianReport, Matrix
    from derivcli.model.spellings import SpellingsReport

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
        "symbolic_value": _optional_number(entry.symbolic_value),
        "autograd": _optional_number(entry.autograd),
        "abs_error": _optional_number(entry.abs_error),
        "rel_error": _optional_number(entry.rel_error),
        "agree": entry.agree,
        "note": entry.note,
        "fd": _optional_number(entry.fd),
        "fd_error_bound": _optional_number(entry.fd_error_bound),
        "fd_abs_error": _optional_number(entry.fd_abs_error),
        "bits": None if entry.bits is None else bits_document(entry.bits),
        "rewrites": None if entry.rewrites is None else [rewrite_document(item) for item in entry.rewrites],
        "clarke": None if entry.clarke is None else [json_number(bound) for bound in entry.clarke],
        "min_norm": _optional_number(entry.min_norm),
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


def _optional_number(value: float | None) -> JsonNumber | None:
    """A float as strict JSON allows it, or null."""
    return None if value is None else json_number(value)


def _numbers(values: Mapping[str, float | None]) -> dict[str, JsonNumber | None]:
    """Floats by name as strict JSON allows them (null for a coordinate of a symbolic point)."""
    return {name: _optional_number(value) for name, value in values.items()}


def point_document(point: PointReport) -> dict[str, Any]:
    """Everything at one point."""
    return {
        "at": _numbers(point.at),
        "at_exact": dict(point.at_exact),
        "at_input": dict(point.at_input),
        "value": _optional_number(point.value),
        "value_exact": point.value_exact,
        "value_autograd": _optional_number(point.value_autograd),
        "derivatives": {name: entry_document(entry) for name, entry in point.derivatives.items()},
        "tangent": None
        if point.tangent is None
        else {
            "exact": point.tangent.exact,
            "slope": _optional_number(point.tangent.slope),
            "intercept": _optional_number(point.tangent.intercept),
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


def error_document(error: DerivError) -> dict[str, Any]:
    """The document printed on stdout for an error under ``--json``."""
    body: dict[str, Any] = {"kind": error.kind.value, "message": error.describe(), "column": error.column}
    if error.step is not None:
        body["step"] = error.step
    return {"error": body}


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
                "at": _numbers(point.at),
                "at_input": dict(point.at_input),
                "value": _optional_number(point.value),
                "derivatives": _numbers(point.derivatives),
            }
            for point in result.points
        ],
    }


def dumps(document: Mapping[str, Any]) -> str:
    """Serialise strictly: a stray non-finite float is a bug, so it raises."""
    return json.dumps(document, indent=2, ensure_ascii=True, allow_nan=False)


def with_versions(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with ``versions``: deriv's, torch's and SymPy's, which every printed document carries."""
    return {**document, "versions": versions()}


def print_json(document: Mapping[str, Any]) -> None:
    """Print one strict JSON document on stdout (with the versions that made it)."""
    sys.stdout.write(dumps(with_versions(document)) + "\n")


def _grid_point_document(point: GridPoint | None) -> dict[str, Any] | None:
    """A grid point with both sides' derivatives there, or None."""
    if point is None:
        return None
    return {
        "at": _numbers(point.at),
        "autograd": _numbers(point.autograd),
        "symbolic": _numbers(point.symbolic),
    }


def _kink_document(kink: KinkStats) -> dict[str, Any]:
    """Where the grid meets one kink or jump."""
    return {
        "kind": kink.kind,
        "function": kink.function,
        "label": kink.label,
        "on_grid": kink.on_grid,
        "between_points": kink.crossings,
        "on_grid_examples": [_grid_point_document(point) for point in kink.on_grid_examples],
        "between_examples": [
            [_grid_point_document(left), _grid_point_document(right)]
            for left, right in kink.crossing_examples
        ],
    }


def grid_document(report: GridReport) -> dict[str, Any]:
    """The document of ``deriv grid --json``."""
    worst_abs_name, worst_abs, worst_abs_at = report.worst("abs")
    worst_rel_name, worst_rel, worst_rel_at = report.worst("rel")
    return {
        "input": report.input,
        "expression": report.expression,
        "variables": list(report.variables),
        "wrt": list(report.wrt),
        "ranges": {
            axis.name: {
                "start": json_number(axis.start),
                "stop": json_number(axis.stop),
                "num": axis.num,
                "start_input": axis.start_input,
                "stop_input": axis.stop_input,
                "start_exact": axis.start_exact,
                "stop_exact": axis.stop_exact,
            }
            for axis in report.axes
        },
        "points": report.points,
        "shape": [axis.num for axis in report.axes],
        "device": report.device,
        "dtype": report.dtype,
        "rtol": report.rtol,
        "atol": report.atol,
        "symbolic": dict(report.derivatives),
        "max_abs_error": json_number(worst_abs),
        "max_abs_error_at": None if worst_abs_at is None else _numbers(worst_abs_at.at),
        "max_abs_error_wrt": worst_abs_name,
        "max_rel_error": json_number(worst_rel),
        "max_rel_error_at": None if worst_rel_at is None else _numbers(worst_rel_at.at),
        "max_rel_error_wrt": worst_rel_name,
        "disagree": report.disagree,
        "agree": report.all_agree,
        "non_finite": {"value": report.value_non_finite},
        "derivatives": {
            name: {
                "symbolic": report.derivatives[name],
                "max_abs_error": json_number(stats.max_abs_error),
                "max_abs_error_at": _grid_point_document(stats.max_abs_error_at),
                "max_rel_error": json_number(stats.max_rel_error),
                "max_rel_error_at": _grid_point_document(stats.max_rel_error_at),
                "disagree": stats.disagree,
                "both_nan": stats.both_nan,
                "non_finite": {"autograd": stats.autograd_non_finite, "symbolic": stats.symbolic_non_finite},
                "one_side_finite": stats.one_side_finite,
                "one_side_finite_at": _grid_point_document(stats.one_side_finite_at),
                "bits": None if report.bits is None else _grid_bits_document(report.bits[name]),
            }
            for name, stats in report.stats.items()
        },
        "kinks": [_kink_document(kink) for kink in report.kinks],
        "kink_hits": report.kink_hits,
        "tangents": [
            {
                "at": json_number(x0),
                "exact": tangent.exact,
                "slope": _optional_number(tangent.slope),
                "intercept": _optional_number(tangent.intercept),
            }
            for x0, tangent in report.tangents
        ],
        "elapsed_s": report.elapsed_s,
        "points_per_s": json_number(report.points_per_s),
        "chunk_size": report.chunk_size,
        "threads": report.threads,
        "notes": list(report.notes),
    }


def _grid_bits_document(bits: DerivativeBits) -> dict[str, Any]:
    """Bits lost by each witness over a grid."""

    def summary(side: BitsSummary | None) -> dict[str, Any] | None:
        if side is None:
            return None
        return {
            "max": side.max,
            "mean": side.mean,
            "max_at": _numbers(dict(side.max_at)),
            "measured": side.measured,
        }

    return {"autograd": summary(bits.autograd), "symbolic": summary(bits.symbolic)}


def implicit_document(report: ImplicitReport) -> dict[str, Any]:
    """The document of ``deriv implicit --json``."""
    return {
        "equation": report.equation,
        "function": report.function,
        "x": report.x,
        "y": report.y,
        "dtype": report.dtype,
        "symbolic": dict(report.formulas),
        "points": [
            {
                "at": _numbers(point.at),
                "at_input": dict(point.at_input),
                "on_curve": point.on_curve,
                "residual": json_number(point.residual),
                "derivatives": {
                    name: {
                        "exact": value.exact,
                        "symbolic_value": json_number(value.symbolic),
                        "autograd": json_number(value.autograd),
                        "abs_error": json_number(value.abs_error),
                        "agree": value.agree,
                    }
                    for name, value in point.derivatives.items()
                },
                "notes": list(point.notes),
            }
            for point in report.points
        ],
        "agree": report.all_agree,
    }


def spellings_document(report: SpellingsReport) -> dict[str, Any]:
    """The document of ``deriv spellings --json``."""
    return {
        "input": report.input,
        "expression": report.expression,
        "wrt": report.wrt,
        "at": json_number(report.at),
        "at_input": report.at_input,
        "device": report.device,
        "dtype": report.dtype,
        "exact": json_number(report.exact),
        "clarke": None if report.clarke is None else [json_number(bound) for bound in report.clarke],
        "spellings": [
            {
                "site": row.site,
                "spelling": row.spelling,
                "autograd": _optional_number(row.autograd),
                "in_clarke": row.in_clarke,
                "error": row.error,
            }
            for row in report.rows
        ],
        "notes": list(report.notes),
    }


def _tensor_document(state: TensorState) -> dict[str, Any]:
    """A tensor's attributes."""
    return {
        "data": json_number(state.data),
        "grad_fn": state.grad_fn,
        "grad": _optional_number(state.grad),
        "is_leaf": state.is_leaf,
        "requires_grad": state.requires_grad,
    }


def graph_document(report: GraphReport) -> dict[str, Any]:
    """The document of ``deriv graph --json``: nodes and edges of the backward graph, tensors, gradients."""
    return {
        "input": report.input,
        "expression": report.expression,
        "variables": list(report.variables),
        "wrt": list(report.wrt),
        "at": _numbers(report.at),
        "at_input": dict(report.at_input),
        "device": report.device,
        "dtype": report.dtype,
        "value": json_number(report.value),
        "nodes": [
            {
                "id": node.index,
                "name": node.name,
                "expression": node.expression,
                "value": _optional_number(node.value),
                "variable": node.variable,
                "local_derivatives": [
                    {
                        "input": local.input,
                        "derivative": local.derivative,
                        "exact": local.exact,
                        "value": json_number(local.value),
                    }
                    for local in node.local
                ],
            }
            for node in report.nodes
        ],
        "edges": [{"from": node.index, "to": child} for node in report.nodes for child in node.next],
        "tensors": {
            "before": {name: _tensor_document(state) for name, state in report.before.items()},
            "after": {name: _tensor_document(state) for name, state in report.after.items()},
        },
        "gradients": {
            name: {
                "autograd": _optional_number(check.autograd),
                "symbolic": check.symbolic,
                "exact": check.exact,
                "symbolic_value": json_number(check.symbolic_value),
                "agree": check.agree,
            }
            for name, check in report.gradients.items()
        },
    }


def check_document(report: CheckReport) -> dict[str, Any]:
    """The document of ``deriv check --json``."""
    return {
        "function": report.function,
        "file": report.file,
        "against": report.against,
        "expression": report.expression,
        "variables": list(report.variables),
        "derivatives": dict(report.derivatives),
        "points": [_numbers(point) for point in report.points],
        "checks": [
            {
                "name": check.name,
                "status": check.status,
                "message": check.message,
                "max_abs_error": _optional_number(check.max_abs_error),
                "order": _optional_number(check.order),
            }
            for check in report.checks
        ],
        "passed": report.passed,
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
