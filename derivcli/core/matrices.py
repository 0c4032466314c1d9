"""Derivatives arranged as matrices: the Jacobian of a vector function, the Hessian and its symmetry.

A Jacobian is one :class:`~derivcli.model.eval.Report` per component (each
component's gradient is a row); a Hessian is one report whose derivatives are
every ordered pair of variables. Nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from derivcli.model.agreement import within
from derivcli.model.eval import DerivativeEntry, Report
from derivcli.model.hessian import HessianMatrix
from derivcli.model.jacobian import JacobianReport, Matrix, parse_components
from derivcli.model.plan import Plan, derivative_key, make_plan
from derivcli.model.setup import Mode, Tolerance
from derivcli.parsing.points import PointSpec

if TYPE_CHECKING:
    from derivcli.core.compare import Options


def jacobian(
    text: str, *, points: Sequence[PointSpec], wrt: Sequence[str], options: Options
) -> JacobianReport:
    """Each component's gradient at every point, symbolically and by autograd."""
    components = parse_components(text)
    variables: list[str] = []
    for component in components:
        variables.extend(name for name in component.variables if name not in variables)
    for spec in points:
        variables.extend(
            assignment.name
            for assignment in spec.assignments
            if assignment.name is not None and assignment.name not in variables
        )
    chosen = tuple(wrt) or tuple(variables)
    rows = tuple(
        _compare(make_plan(mode=Mode.PARTIAL, expression=component, points=points, wrt=chosen), options)
        for component in components
    )
    names = tuple(component.text.strip() for component in components)
    matrices = tuple(
        _matrix(
            names,
            chosen,
            [[row.points[index].derivatives[column] for column in chosen] for row in rows],
        )
        for index in range(len(points))
    )
    return JacobianReport(input=text, components=names, variables=chosen, rows=rows, matrices=matrices)


def hessian_matrices(report: Report) -> tuple[HessianMatrix, ...]:
    """The Hessian at each point of a ``deriv hessian`` report (derivatives keyed by ordered pairs)."""
    names = report.wrt
    tolerance = Tolerance(report.rtol, report.atol)
    matrices = (
        _matrix(
            names,
            names,
            [[point.derivatives[derivative_key((row, column))] for column in names] for row in names],
        )
        for point in report.points
    )
    return tuple(
        HessianMatrix(
            matrix=matrix, symmetric=is_symmetric(matrix, tolerance), max_asymmetry=asymmetry(matrix)
        )
        for matrix in matrices
    )


def asymmetry(matrix: Matrix) -> float:
    """The largest |H[i][j] - H[j][i]| of the autograd matrix (0 for a symmetric one)."""
    size = len(matrix.rows)
    differences = [
        abs(matrix.autograd[i][j] - matrix.autograd[j][i])
        for i in range(size)
        for j in range(i + 1, size)
        if math.isfinite(matrix.autograd[i][j]) and math.isfinite(matrix.autograd[j][i])
    ]
    return max(differences, default=0.0)


def is_symmetric(matrix: Matrix, tolerance: Tolerance) -> bool:
    """True when the autograd matrix equals its transpose within tolerance."""
    size = len(matrix.rows)
    return all(
        within(matrix.autograd[i][j], matrix.autograd[j][i], tolerance)
        for i in range(size)
        for j in range(i + 1, size)
    )


def _matrix(
    rows: Sequence[str], columns: Sequence[str], entries: Sequence[Sequence[DerivativeEntry]]
) -> Matrix:
    """A matrix from rows of the core's derivative entries."""
    return Matrix(
        rows=tuple(rows),
        columns=tuple(columns),
        autograd=tuple(tuple(_number(entry.autograd) for entry in row) for row in entries),
        symbolic=tuple(tuple(_number(entry.symbolic_value) for entry in row) for row in entries),
        abs_error=tuple(tuple(_number(entry.abs_error) for entry in row) for row in entries),
        agree=all(entry.agree is not False for row in entries for entry in row),
    )


def _number(value: float | None) -> float:
    """A matrix entry's number; matrices are computed at numeric points only (symbolic ones are refused)."""
    if value is None:
        raise AssertionError("a matrix entry without a number: hessian and jacobian take numeric points")
    return value


def _compare(plan: Plan, options: Options) -> Report:
    """Both witnesses on one component (SymPy and torch are imported only when a Jacobian is computed)."""
    from derivcli.core.compare import compare

    return compare(plan, options)
