"""What every command's view does: take events while the worker computes, then present the report.

Each ``derivcli/render/<command>.py`` defines ``View``, a subclass of
:class:`BaseView`: the pipeline makes one per run (before the work starts, so
files named by options are opened and checked first), hands it the events the
worker emits, and calls :meth:`BaseView.present` with the report, which
renders a table or one JSON document and returns the exit status.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from derivcli.errors import DerivError, ExitStatus
from derivcli.render.output import Output

RequestT = TypeVar("RequestT")
ReportT = TypeVar("ReportT")


class BaseView(Generic[RequestT, ReportT]):
    """The view of one run of a command."""

    def __init__(self, request: RequestT, out: Output) -> None:
        self.request = request
        self.out = out

    def receive(self, event: object) -> None:
        """Take one event the work emitted (a grid chunk, progress, a batch line); most views have none."""

    def present(self, report: ReportT) -> ExitStatus:
        """Render the report as a table or JSON; return the exit status."""
        raise NotImplementedError

    def present_partial(self, error: DerivError) -> bool:
        """When time ran out: render what the work sent before (if anything); True if something was shown."""
        return False


def verdict(agree: bool, *, strict: bool) -> ExitStatus:
    """Exit status 1 when something disagrees and --strict asked to fail on it, else 0."""
    return ExitStatus.DISAGREEMENT if strict and not agree else ExitStatus.OK
