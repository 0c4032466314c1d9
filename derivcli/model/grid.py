"""The result of ``deriv grid``: frozen dataclasses, apart from the engine.

Rendering a grid report (and unpickling the one the worker process computed)
needs these types, but neither SymPy nor torch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GridPoint:
    """One grid point with both sides' derivatives there."""

    at: Mapping[str, float]
    autograd: Mapping[str, float]
    symbolic: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class KinkStats:
    """Where the grid meets one kink: points exactly on it, and neighbours on either side of it."""

    kind: str
    function: str
    label: str
    on_grid: int
    crossings: int
    on_grid_examples: tuple[GridPoint, ...]
    crossing_examples: tuple[tuple[GridPoint, GridPoint], ...]


@dataclass(frozen=True, slots=True)
class DerivativeStats:
    """The comparison of one derivative over the whole grid.

    Errors are taken over points where both sides are finite; ``disagree``
    counts points outside tolerance, except where both sides are nan.
    """

    max_abs_error: float
    max_abs_error_at: GridPoint | None
    max_rel_error: float
    max_rel_error_at: GridPoint | None
    disagree: int
    both_nan: int
    autograd_non_finite: int
    symbolic_non_finite: int
    one_side_finite: int = 0
    one_side_finite_at: GridPoint | None = None


@dataclass(frozen=True, slots=True)
class AxisReport:
    """One axis: its ends as typed, exactly, and as floats of the dtype."""

    name: str
    start: float
    stop: float
    num: int
    start_input: str
    stop_input: str
    start_exact: str
    stop_exact: str


@dataclass(frozen=True, slots=True)
class GridReport:
    """The result of ``deriv grid``."""

    input: str
    expression: str
    variables: tuple[str, ...]
    wrt: tuple[str, ...]
    axes: tuple[AxisReport, ...]
    points: int
    device: str
    dtype: str
    rtol: float
    atol: float
    chunk_size: int
    threads: int
    derivatives: Mapping[str, str]
    stats: Mapping[str, DerivativeStats]
    value_non_finite: int
    kinks: tuple[KinkStats, ...]
    elapsed_s: float
    notes: tuple[str, ...]

    @property
    def points_per_s(self) -> float:
        """Grid points per second of evaluation."""
        return self.points / self.elapsed_s if self.elapsed_s > 0 else math.inf

    @property
    def disagree(self) -> int:
        """Point-derivative pairs outside tolerance (not counting those where both sides are nan)."""
        return sum(stats.disagree for stats in self.stats.values())

    @property
    def all_agree(self) -> bool:
        """True when no derivative disagrees anywhere on the grid."""
        return self.disagree == 0

    def worst(self, key: str) -> tuple[str | None, float, GridPoint | None]:
        """The derivative with the largest error (``key``: "abs" or "rel"), that error and its point."""
        best: tuple[str | None, float, GridPoint | None] = (None, 0.0, None)
        for name, stats in self.stats.items():
            error = stats.max_abs_error if key == "abs" else stats.max_rel_error
            if best[0] is None or error > best[1] or (math.isnan(error) and not math.isnan(best[1])):
                at = stats.max_abs_error_at if key == "abs" else stats.max_rel_error_at
                best = (name, error, at)
        return best
