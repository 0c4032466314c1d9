"""The worker's entry for ``deriv check``: the user's Function, loaded and checked in the worker only."""

from __future__ import annotations

from derivcli.core.check import check_function
from derivcli.model.check import CheckReport, CheckRequest


def run(request: CheckRequest) -> CheckReport:
    """Import the user's file, then run every check of the Function against the expression."""
    return check_function(request.function, request.plan, taylor=request.taylor)
