"""``deriv hessian``: the report, every second partial arranged as a matrix per point with its symmetry."""

from __future__ import annotations

from dataclasses import dataclass

from derivcli.model.eval import Report
from derivcli.model.jacobian import Matrix


@dataclass(frozen=True, slots=True)
class HessianMatrix:
    """The Hessian at one point, and whether autograd's matrix equals its transpose within tolerance."""

    matrix: Matrix
    symmetric: bool
    max_asymmetry: float


@dataclass(frozen=True, slots=True)
class HessianReport:
    """The result of ``deriv hessian``: the core report (keys ``"x,y"``) and the matrix at each point."""

    report: Report
    matrices: tuple[HessianMatrix, ...]

    @property
    def all_agree(self) -> bool:
        """True when every entry at every point agrees."""
        return self.report.all_agree
