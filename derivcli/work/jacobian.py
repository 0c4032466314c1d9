"""The worker's entry for ``deriv jacobian``: each component's gradient, arranged as a matrix per point."""

from __future__ import annotations

from derivcli.core.compare import Options
from derivcli.core.matrices import jacobian
from derivcli.model.jacobian import JacobianReport, JacobianRequest


def run(request: JacobianRequest) -> JacobianReport:
    """Both witnesses for every component at every point."""
    options = Options(setup=request.setup, fd=request.fd)
    return jacobian(request.text, points=request.points, wrt=request.wrt, options=options)
