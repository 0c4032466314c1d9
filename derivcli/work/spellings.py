"""The worker's entry for ``deriv spellings``: every torch spelling of the kinks at the request's point."""

from __future__ import annotations

from derivcli.core.spellings import spellings_at
from derivcli.model.spellings import SpellingsReport, SpellingsRequest


def run(request: SpellingsRequest) -> SpellingsReport:
    """Run each spelling of each kink function through autograd and judge it against the Clarke set."""
    return spellings_at(request.plan, request.setup)
