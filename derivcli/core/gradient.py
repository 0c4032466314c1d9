"""A plain torch function's values and gradients against an expression's exact ones, point by point.

The function is called with one 0-d float64 leaf tensor per variable, in the
expression's order of variables, and must return a 0-d tensor; its gradient
comes from ``torch.autograd.grad``. Its exceptions are its own: they reach the
caller unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from derivcli.core.symbolic.build import build, differentiate
from derivcli.core.symbolic.display import display_text
from derivcli.core.symbolic.exact import evaluate_at, point_value, to_dtype
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.agreement import within
from derivcli.model.gradient import GradientReport, GradientValue
from derivcli.model.plan import Plan
from derivcli.model.setup import DType


def check_gradient(function: Callable[..., torch.Tensor], plan: Plan, *, name: str) -> GradientReport:
    """Call ``function`` at each point of the plan and compare its value and gradient with the exact ones."""
    built = build(plan.expression, extra_variables=plan.variables)
    derivatives = {
        variable: differentiate(built.expr, built.symbols[variable]) for variable in plan.variables
    }
    tolerance = DType.float64.tolerance
    values: list[GradientValue] = []
    for assignments in plan.points:
        exact_point = {
            built.symbols[variable]: point_value(assignment, name=variable)
            for variable, assignment in assignments.items()
        }
        at = {symbol.name: to_dtype(value, DType.float64) for symbol, value in exact_point.items()}
        leaves = [
            torch.tensor(at[variable], dtype=torch.float64, requires_grad=True) for variable in plan.variables
        ]
        output = function(*leaves)
        if not (isinstance(output, torch.Tensor) and output.numel() == 1):
            raise DerivError(
                ErrorKind.USER_CODE,
                f"{name} must return a tensor of one element, got {type(output).__name__}",
            )
        got = (
            torch.autograd.grad(output, leaves, allow_unused=True)
            if output.requires_grad
            else (None,) * len(leaves)
        )
        expected_value = evaluate_at(built.expr, exact_point).value
        got_value = float(output.detach())
        values.append(
            GradientValue(at, None, expected_value, got_value, within(got_value, expected_value, tolerance))
        )
        for variable, gradient in zip(plan.variables, got, strict=True):
            expected = evaluate_at(derivatives[variable], exact_point).value
            number = 0.0 if gradient is None else float(gradient)
            values.append(GradientValue(at, variable, expected, number, within(number, expected, tolerance)))
    return GradientReport(
        function=name,
        against=plan.expression.text,
        expression=str(built.expr),
        variables=plan.variables,
        derivatives={variable: display_text(derivative) for variable, derivative in derivatives.items()},
        values=tuple(values),
    )
