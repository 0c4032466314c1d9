"""A plain torch function's gradient against an expression's symbolic derivative (the Python API's check).

Light types only: the report renders without SymPy or torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GradientValue:
    """One number at one point: the function's value (``name`` None) or its derivative by ``name``."""

    at: Mapping[str, float]
    name: str | None
    expected: float
    got: float
    agree: bool


@dataclass(frozen=True, slots=True)
class GradientReport:
    """The function's values and gradients at each point beside the expression's exact ones."""

    function: str
    against: str
    expression: str
    variables: tuple[str, ...]
    derivatives: Mapping[str, str]
    values: tuple[GradientValue, ...]

    @property
    def agree(self) -> bool:
        """True when every value and every derivative agrees."""
        return all(value.agree for value in self.values)
