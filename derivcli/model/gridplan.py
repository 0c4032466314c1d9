"""Check a ``deriv grid`` request before any heavy import: axes, counts, variables.

A grid is the Cartesian product of one evenly spaced axis per variable, laid
out row-major in the order of the variables (the last one varies fastest).
Everything here works on parsed trees alone (no SymPy, no torch, no numpy at
run time), so a mistake in a range is refused in milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.setup import DEFAULT_NUM
from derivcli.parsing.points import MAX_GRID_POINTS, Assignment, RangeSpec
from derivcli.parsing.tree import ParsedExpression

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class Axis:
    """One variable's evenly spaced values: ``num`` points from ``start`` to ``stop`` inclusive."""

    name: str
    start: Assignment
    stop: Assignment
    num: int
    text: str


@dataclass(frozen=True, slots=True)
class GridPlan:
    """The expression, its variables (one axis each, in order), and the ones differentiated."""

    expression: ParsedExpression
    variables: tuple[str, ...]
    wrt: tuple[str, ...]
    axes: tuple[Axis, ...]

    @property
    def points(self) -> int:
        """How many points the whole grid has."""
        return math.prod(axis.num for axis in self.axes)

    @property
    def shape(self) -> tuple[int, ...]:
        """Points along each axis."""
        return tuple(axis.num for axis in self.axes)


@dataclass(frozen=True, slots=True)
class GridChunk:
    """A run of consecutive grid points, as the engine hands it to sinks (CSV, JSON Lines, plots).

    ``start`` is the flat (row-major) index of the first point; arrays are
    float64 or float32 numpy arrays of equal length, one entry per point.
    """

    start: int
    coordinates: Mapping[str, NDArray[np.floating]]
    value: NDArray[np.floating]
    autograd: Mapping[str, NDArray[np.floating]]
    symbolic: Mapping[str, NDArray[np.floating]]

    def __len__(self) -> int:
        return len(self.value)


def make_grid_plan(
    *,
    expression: ParsedExpression,
    ranges: Sequence[RangeSpec],
    num: int = DEFAULT_NUM,
    wrt: Sequence[str] = (),
) -> GridPlan:
    """Decide axes and differentiation variables, or raise DerivError."""
    by_name: dict[str, RangeSpec] = {}
    for spec in ranges:
        if spec.name in by_name:
            raise DerivError(
                ErrorKind.BAD_RANGE,
                f"{spec.name} has two ranges: {by_name[spec.name].text!r} and {spec.text!r}",
            )
        by_name[spec.name] = spec
    variables = list(expression.variables)
    # A variable only a range names is constant in the expression (its derivative is 0).
    variables.extend(name for name in by_name if name not in variables)
    if not variables:
        raise DerivError(
            ErrorKind.MISSING_VALUE,
            f"{expression.text!r} has no variables: give one a range, e.g. --range x=-10:10",
        )
    chosen = _choose_wrt(wrt, variables)
    missing = [name for name in variables if name not in by_name]
    missing.extend(name for name in chosen if name not in variables)
    if missing:
        plural = "s" if len(missing) > 1 else ""
        example = " ".join(f"--range {name}=-1:1" for name in missing)
        raise DerivError(
            ErrorKind.MISSING_VALUE,
            f"no range for variable{plural} {', '.join(missing)}: add {example}",
        )
    axes = tuple(
        Axis(
            name=name,
            start=by_name[name].start,
            stop=by_name[name].stop,
            num=by_name[name].num or num,
            text=by_name[name].text,
        )
        for name in variables
    )
    plan = GridPlan(expression=expression, variables=tuple(variables), wrt=chosen, axes=axes)
    if plan.points > MAX_GRID_POINTS:
        shape = " x ".join(f"{axis.num:,}" for axis in axes)
        raise DerivError(
            ErrorKind.TOO_LARGE,
            f"the grid has {plan.points:,} points ({shape}); the limit is {MAX_GRID_POINTS:,}",
        )
    return plan


def _choose_wrt(wrt: Sequence[str], variables: Sequence[str]) -> tuple[str, ...]:
    """Every variable by default, or those named with ``--wrt``, each once."""
    if not wrt:
        return tuple(variables)
    seen: dict[str, None] = {}
    for name in wrt:
        if name in seen:
            raise DerivError(ErrorKind.BAD_OPTION, f"--wrt names {name} twice")
        seen[name] = None
    return tuple(seen)


def flat_to_coordinates(index: int, shape: Sequence[int]) -> tuple[int, ...]:
    """Per-axis indices of a flat row-major index (the last axis varies fastest)."""
    indices = []
    for size in reversed(shape):
        index, within = divmod(index, size)
        indices.append(within)
    return tuple(reversed(indices))
