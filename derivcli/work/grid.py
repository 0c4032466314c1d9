"""The worker's entry for ``deriv grid``: the grid in chunks; chunks and progress go back as events."""

from __future__ import annotations

from derivcli.core.grid import GridOptions, run_grid
from derivcli.model.grid import GridReport, GridRequest
from derivcli.worker.board import emit


def run(request: GridRequest) -> GridReport:
    """Both witnesses at every grid point, summarised; chunks go back only when an output wants them."""
    options = GridOptions(
        setup=request.setup,
        chunk_size=request.chunk_size,
        compile_chunks=request.compile_chunks,
        bits=request.bits,
        tangents=request.tangents,
    )

    def progress(done: int, total: int) -> None:
        emit((done, total))

    return run_grid(
        request.plan,
        options,
        on_chunk=emit if request.wants_chunks else None,
        progress=progress if request.progress else None,
    )
