"""The worker's entry for ``deriv implicit``: dy/dx on the curve at every point of the request."""

from __future__ import annotations

from derivcli.core.implicit import implicit_derivatives
from derivcli.model.implicit import ImplicitReport, ImplicitRequest


def run(request: ImplicitRequest) -> ImplicitReport:
    """Differentiate the curve implicitly, symbolically and from autograd's gradient of F."""
    return implicit_derivatives(request)
