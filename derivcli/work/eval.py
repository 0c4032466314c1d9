"""The worker's entry for ``deriv eval`` and ``partial``: both witnesses at every point of the request."""

from __future__ import annotations

from derivcli.core.compare import Options, autograd_only, compare
from derivcli.model.eval import AutogradOnly, EvalRequest, Report


def run(request: EvalRequest) -> Report:
    """Differentiate symbolically and by autograd, and compare them at each point."""
    return compare(request.plan, _options(request))


def run_fallback(request: EvalRequest) -> AutogradOnly:
    """Autograd's answers alone, for when the symbolic side ran out of its time budget."""
    return autograd_only(request.plan, _options(request))


def _options(request: EvalRequest) -> Options:
    """The core's options of a request."""
    return Options(
        setup=request.setup,
        simplify=request.simplify,
        simplify_timeout=request.simplify_timeout,
        fd=request.fd,
    )
