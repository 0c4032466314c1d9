"""``deriv implicit``: dy/dx = -F_x/F_y on a curve F(x, y) = 0, symbolically and from autograd's gradient.

The second derivative is d/dx of dy/dx with y a function of x:
-(F_xx + 2 F_xy y' + F_yy y'**2) / F_y. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy
import torch

from derivcli.core.compare import dtype_value
from derivcli.core.numeric.device import DTYPES, resolve_device
from derivcli.core.numeric.parts import TorchFunction
from derivcli.core.numeric.translate import compile_tree
from derivcli.core.symbolic.build import build, differentiate
from derivcli.core.symbolic.display import display_form
from derivcli.core.symbolic.exact import evaluate_at, point_value, rational_of_float
from derivcli.model.agreement import errors_between, within
from derivcli.model.implicit import ImplicitPoint, ImplicitReport, ImplicitRequest, ImplicitValue
from derivcli.model.text import format_number
from derivcli.worker.board import step


def implicit_derivatives(request: ImplicitRequest) -> ImplicitReport:
    """dy/dx (and d2y/dx2) of the curve at every point of the request, both ways."""
    step("building the SymPy expression")
    built = build(request.plan.expression, extra_variables=request.plan.variables)
    x, y = built.symbols[request.x], built.symbols[request.y]
    step("differentiating")
    fx, fy = differentiate(built.expr, x), differentiate(built.expr, y)
    first = -fx / fy
    formulas = {f"d{request.y}/d{request.x}": first}
    if request.order == 2:
        formulas[f"d2{request.y}/d{request.x}2"] = sympy.together(
            differentiate(first, x) + differentiate(first, y) * first
        )
    shown = {name: display_form(formula) for name, formula in formulas.items()}
    function = compile_tree(request.plan.expression)
    points = []
    for index, assignments in enumerate(request.plan.points):
        step(f"evaluating at point {index + 1}")
        exact_point = {
            built.symbols[name]: point_value(item, name=name) for name, item in assignments.items()
        }
        at = {
            symbol.name: dtype_value(
                value, assignments[symbol.name], name=symbol.name, dtype=request.setup.dtype
            )
            for symbol, value in exact_point.items()
        }
        rounded = {symbol: rational_of_float(at[symbol.name]) for symbol in exact_point}
        residual = evaluate_at(built.expr, exact_point)
        autograd = _autograd(function, at, request)
        values = {}
        for name, formula in formulas.items():
            exact = evaluate_at(formula, rounded)
            got = autograd[name]
            values[name] = ImplicitValue(
                exact=exact.exact,
                symbolic=exact.value,
                autograd=got,
                abs_error=errors_between(got, exact.value)[0],
                agree=within(got, exact.value, request.setup.tolerance),
            )
        notes = []
        on_curve = residual.exact == "0"
        if not on_curve:
            notes.append(
                f"the point is not on the curve: F = {format_number(residual.value)} there"
                f" (F = {built.expr}); the derivatives are those of the level curve through it"
            )
        if evaluate_at(fy, rounded).value == 0:
            notes.append(
                f"F_{request.y} is 0 here: near this point {request.y} is not a function of {request.x}"
                " (a vertical tangent or a singular point of the curve)"
            )
        points.append(
            ImplicitPoint(
                at=at,
                at_input={name: item.text for name, item in assignments.items()},
                residual=residual.value,
                on_curve=on_curve,
                derivatives=values,
                notes=tuple(notes),
            )
        )
    return ImplicitReport(
        equation=request.equation,
        function=str(built.expr),
        x=request.x,
        y=request.y,
        dtype=request.setup.dtype,
        formulas={name: str(formula) for name, formula in shown.items()},
        points=tuple(points),
    )


def _autograd(function: TorchFunction, at: Mapping[str, float], request: ImplicitRequest) -> dict[str, float]:
    """-F_x/F_y from autograd's gradient of F (and the second derivative from its Hessian)."""
    device = resolve_device(request.setup.device, request.setup.dtype)
    leaves = {
        name: torch.tensor(value, dtype=DTYPES[request.setup.dtype], device=device, requires_grad=True)
        for name, value in at.items()
    }
    value = function(leaves)
    fx, fy = torch.autograd.grad(
        value, [leaves[request.x], leaves[request.y]], create_graph=True, allow_unused=True
    )
    zero = torch.zeros((), dtype=DTYPES[request.setup.dtype], device=device)
    fx = zero if fx is None else fx
    fy = zero if fy is None else fy
    slope = -fx / fy
    names = [f"d{request.y}/d{request.x}", f"d2{request.y}/d{request.x}2"]
    found = {names[0]: float(slope.detach())}
    if request.order == 2:
        fxx, fxy = _grads(fx, leaves[request.x], leaves[request.y], zero)
        _, fyy = _grads(fy, leaves[request.x], leaves[request.y], zero)
        second = -(fxx + 2 * fxy * slope + fyy * slope**2) / fy
        found[names[1]] = float(second.detach())
    return found


def _grads(
    output: torch.Tensor, x: torch.Tensor, y: torch.Tensor, zero: torch.Tensor
) -> tuple[torch.Tensor, ...]:
    """d(output)/dx and d(output)/dy, zero where output does not depend on one."""
    if not output.requires_grad:
        return zero, zero
    grads = torch.autograd.grad(output, [x, y], create_graph=True, allow_unused=True)
    return tuple(zero if grad is None else grad for grad in grads)
