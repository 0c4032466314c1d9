"""The worker's entry for ``deriv graph``: the backward graph at the request's one point."""

from __future__ import annotations

from derivcli.core.graph import graph_at
from derivcli.model.graph import GraphReport, GraphRequest


def run(request: GraphRequest) -> GraphReport:
    """Trace the graph torch builds and explain each node symbolically."""
    return graph_at(request.plan, device=request.setup.device, dtype=request.setup.dtype)
