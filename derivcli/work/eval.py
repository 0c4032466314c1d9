"""The worker's entry for ``deriv eval`` and ``partial``: both witnesses at every point of the request."""

from __future__ import annotations

from derivcli.core.compare import Options, compare
from derivcli.model.eval import EvalRequest, Report
from derivcli.worker.board import emit, listening


def run(request: EvalRequest) -> Report:
    """Differentiate symbolically and by autograd, and compare them at each point.

    Autograd's answers go back first, as an event: if the symbolic side then
    runs out of time, the command still shows them. Where no one listens
    (``deriv batch``), they are not even put together.
    """
    return compare(request.plan, _options(request), on_autograd=emit if listening() else None)


def _options(request: EvalRequest) -> Options:
    """The core's options of a request."""
    return Options(
        setup=request.setup,
        simplify=request.simplify,
        simplify_timeout=request.simplify_timeout,
        fd=request.fd,
        bits=request.bits,
        tangent=request.tangent,
        latex=request.latex,
    )
