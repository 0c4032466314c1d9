"""The worker's entry for ``deriv hessian``: every second partial, and the matrices with their symmetry."""

from __future__ import annotations

from derivcli.core.matrices import hessian_matrices
from derivcli.model.eval import EvalRequest
from derivcli.model.hessian import HessianReport
from derivcli.work import eval as evaluate


def run(request: EvalRequest) -> HessianReport:
    """The core report of every ordered pair of variables, arranged as a matrix per point."""
    report = evaluate.run(request)
    return HessianReport(report=report, matrices=hessian_matrices(report))
