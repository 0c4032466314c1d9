"""Other forms of the answer: the tangent line at a point, and LaTeX of f and its derivatives."""

from __future__ import annotations

import math
from collections.abc import Mapping

import sympy

from derivcli.core.symbolic.display import display_form
from derivcli.core.symbolic.exact import evaluate_at
from derivcli.model.eval import Latex, Tangent


def tangent_at(
    expr: sympy.Expr, derivative: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]
) -> Tangent | None:
    """y = f'(x0)*(x - x0) + f(x0), expanded (``6*x - 9``); None where f or f' has no number there."""
    ((symbol, x0),) = point.items()
    slope = derivative.xreplace(dict(point))
    height = expr.xreplace(dict(point))
    slope_value = evaluate_at(derivative, point).value
    height_value = evaluate_at(expr, point).value
    if not (math.isfinite(slope_value) and math.isfinite(height_value)):
        return None
    line = sympy.expand(slope * (symbol - x0) + height)
    intercept = evaluate_at(height - slope * x0, {}).value
    return Tangent(exact=str(line), slope=slope_value, intercept=intercept)


def latex_forms(expr: sympy.Expr, derivatives: Mapping[str, sympy.Expr]) -> Latex:
    """f and each derivative (in its displayed form) as LaTeX."""
    return Latex(
        function=sympy.latex(expr),
        derivatives={name: sympy.latex(display_form(derivative)) for name, derivative in derivatives.items()},
    )
