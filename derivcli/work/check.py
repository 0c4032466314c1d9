"""The worker's entry for ``deriv check``: the user's Function, loaded and checked in the worker only."""

from __future__ import annotations

from derivcli.core.check import check_function, check_loaded
from derivcli.core.numeric.check import given_function
from derivcli.model.check import CheckReport, CheckRequest, Handed

#: Function classes handed over by the Python API for a worker forked after them (see ``Handed``).
HANDED: dict[int, object] = {}


def run(request: CheckRequest) -> CheckReport:
    """Import the user's file (or take the class given), then run every check of the Function."""
    given = request.given
    if isinstance(given, Handed):
        given = HANDED[given.key]
    if given is not None:
        return check_loaded(given_function(given), request.plan, taylor=request.taylor)
    return check_function(request.function, request.plan, taylor=request.taylor)
