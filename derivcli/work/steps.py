"""The worker's entry for ``deriv steps``: the derivation rule by rule, with both witnesses."""

from __future__ import annotations

from derivcli.core.steps.derivation import derivation
from derivcli.model.steps import StepsReport, StepsRequest


def run(request: StepsRequest) -> StepsReport:
    """Derive rule by rule and, at the request's point, compare each step with autograd."""
    return derivation(request.plan, setup=request.setup, latex=request.latex)
