"""The document of ``deriv grid``: the summary of a sweep, its kinks, and its bits of error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from derivcli.model.bits import BitsSummary
    from derivcli.model.grid import DerivativeBits, GridPoint, GridReport, KinkStats

from derivcli.render.documents.values import json_number, numbers_document, optional_number


def _grid_point_document(point: GridPoint | None) -> dict[str, Any] | None:
    """A grid point with both sides' derivatives there, or None."""
    if point is None:
        return None
    return {
        "at": numbers_document(point.at),
        "autograd": numbers_document(point.autograd),
        "symbolic": numbers_document(point.symbolic),
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
        "max_abs_error_at": None if worst_abs_at is None else numbers_document(worst_abs_at.at),
        "max_abs_error_wrt": worst_abs_name,
        "max_rel_error": json_number(worst_rel),
        "max_rel_error_at": None if worst_rel_at is None else numbers_document(worst_rel_at.at),
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
                "slope": optional_number(tangent.slope),
                "intercept": optional_number(tangent.intercept),
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
            "max_at": numbers_document(dict(side.max_at)),
            "measured": side.measured,
        }

    return {"autograd": summary(bits.autograd), "symbolic": summary(bits.symbolic)}
