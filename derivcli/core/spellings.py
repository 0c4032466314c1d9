"""``deriv spellings``: the torch spellings of each kink function, each run through autograd at a point.

One function has many spellings in torch, and at a kink they give different
derivatives: relu's is 0, clamp's at its bound is 1 up to torch 2.13 and 0
from 2.14, maximum's splits a tie. The values here always come from running
the installed torch, never from a table. Nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import sympy
import torch
import torch.nn.functional

from derivcli.core.clarke import clarke_interval, in_interval
from derivcli.core.compare import dtype_value
from derivcli.core.numeric.autograd import autograd_at_points
from derivcli.core.numeric.device import Tensor
from derivcli.core.numeric.translate import compile_tree
from derivcli.core.symbolic.build import build, differentiate, node_expression
from derivcli.core.symbolic.exact import evaluate_at, point_value, rational_of_float
from derivcli.core.symbolic.findings import analyse_point
from derivcli.model.plan import Plan
from derivcli.model.setup import Setup
from derivcli.model.spellings import SpellingRow, SpellingsReport
from derivcli.parsing.tree import Call, Node, node_text, post_order
from derivcli.worker.board import step


@dataclass(frozen=True, slots=True)
class Spelling:
    """One way to write a kink function in torch: its code ({0}, {1}: the arguments) and the function."""

    code: str
    run: Callable[..., Tensor]
    #: Whether the spelling equals the function at these argument values (relu6 only below 6).
    applies: Callable[..., bool] = lambda *values: True


def _zeros(u: Tensor) -> Tensor:
    return torch.zeros_like(u)


#: Every spelling deriv knows of each kink function, by the parser's name.
SPELLINGS: Final[Mapping[str, tuple[Spelling, ...]]] = {
    "relu": (
        Spelling("torch.relu({0})", torch.relu),
        Spelling("torch.clamp({0}, min=0)", lambda u: torch.clamp(u, min=0)),
        Spelling("torch.clamp_min({0}, 0)", lambda u: torch.clamp_min(u, 0)),
        Spelling("torch.maximum({0}, torch.zeros_like({0}))", lambda u: torch.maximum(u, _zeros(u))),
        Spelling("torch.fmax({0}, torch.zeros_like({0}))", lambda u: torch.fmax(u, _zeros(u))),
        Spelling("torch.where({0} > 0, {0}, 0)", lambda u: torch.where(u > 0, u, 0.0)),
        Spelling("{0} * ({0} > 0)", lambda u: u * (u > 0)),
        Spelling("({0} + torch.abs({0})) / 2", lambda u: (u + torch.abs(u)) / 2),
        Spelling(
            "torch.nn.functional.hardtanh({0}, 0, 6)",
            lambda u: torch.nn.functional.hardtanh(u, 0.0, 6.0),
            lambda u: u < 6,
        ),
        Spelling("torch.nn.functional.relu6({0})", torch.nn.functional.relu6, lambda u: u < 6),
    ),
    "abs": (
        Spelling("torch.abs({0})", torch.abs),
        Spelling("torch.sqrt({0}**2)", lambda u: torch.sqrt(u**2)),
        Spelling("{0} * torch.sign({0})", lambda u: u * torch.sign(u)),
        Spelling("torch.maximum({0}, -{0})", lambda u: torch.maximum(u, -u)),
        Spelling("torch.where({0} >= 0, {0}, -{0})", lambda u: torch.where(u >= 0, u, -u)),
    ),
    "max": (
        Spelling("torch.maximum({0}, {1})", torch.maximum),
        Spelling("torch.fmax({0}, {1})", torch.fmax),
        Spelling("torch.where({0} >= {1}, {0}, {1})", lambda a, b: torch.where(a >= b, a, b)),
        Spelling("({0} + {1} + torch.abs({0} - {1})) / 2", lambda a, b: (a + b + torch.abs(a - b)) / 2),
    ),
    "min": (
        Spelling("torch.minimum({0}, {1})", torch.minimum),
        Spelling("torch.fmin({0}, {1})", torch.fmin),
        Spelling("torch.where({0} <= {1}, {0}, {1})", lambda a, b: torch.where(a <= b, a, b)),
        Spelling("({0} + {1} - torch.abs({0} - {1})) / 2", lambda a, b: (a + b - torch.abs(a - b)) / 2),
    ),
    "heaviside": tuple(
        Spelling(
            f"torch.heaviside({{0}}, torch.tensor({value}))",
            lambda u, value=value: torch.heaviside(u, torch.tensor(value, dtype=u.dtype, device=u.device)),
        )
        for value in (0.0, 0.5, 1.0)
    ),
}


def kink_calls(tree: Node) -> list[Call]:
    """The calls of kink functions in a parse tree (max and min of two arguments), innermost first."""
    return [
        node
        for node in post_order(tree)
        if isinstance(node, Call)
        and node.name in SPELLINGS
        and (node.name not in ("max", "min") or len(node.args) == 2)
    ]


def spellings_at(plan: Plan, setup: Setup) -> SpellingsReport:
    """Each spelling of each kink function of the expression, run through autograd at the plan's point."""
    (assignments,) = plan.points
    (wrt,) = plan.wrt
    step("building the SymPy expression")
    built = build(plan.expression, extra_variables=plan.variables)
    exact_point = {built.symbols[name]: point_value(item, name=name) for name, item in assignments.items()}
    float_point = {
        symbol.name: dtype_value(value, assignments[symbol.name], name=symbol.name, dtype=setup.dtype)
        for symbol, value in exact_point.items()
    }
    # The kinks are judged where autograd runs: at the point rounded to the dtype.
    rounded = {symbol: rational_of_float(float_point[symbol.name]) for symbol in exact_point}
    symbol = built.symbols[wrt]
    step(f"differentiating with respect to {wrt}")
    derivative = differentiate(built.expr, symbol)
    exact = evaluate_at(derivative, rounded)
    step("finding the kinks")
    clarke = clarke_interval(analyse_point(built.expr, derivative, symbol, rounded))
    if clarke is None and math.isfinite(exact.value):
        # Smooth here: the set is the derivative alone.
        clarke = (exact.value, exact.value)
    notes: list[str] = []
    rows: list[SpellingRow] = []
    calls = kink_calls(plan.expression.tree)
    if not calls:
        notes.append(
            f"{plan.expression.text} has no kink function ({', '.join(SPELLINGS)}): nothing to respell"
        )
    step("running each spelling through autograd")
    for call in calls:
        argument_values = [
            float(sympy.N(node_expression(arg, built.symbols).xreplace(rounded), 30)) for arg in call.args
        ]
        arguments = [node_text(arg) for arg in call.args]
        for spelling in SPELLINGS[call.name]:
            if not spelling.applies(*argument_values):
                continue
            rows.append(_row(plan, setup, call, spelling, arguments, float_point, wrt, clarke))
    return SpellingsReport(
        input=plan.expression.text,
        expression=str(built.expr),
        wrt=wrt,
        at=float_point[wrt],
        at_input=", ".join(f"{name}={item.text}" for name, item in assignments.items()),
        device=setup.device,
        dtype=setup.dtype,
        exact=exact.value,
        clarke=clarke,
        rows=tuple(rows),
        notes=tuple(notes),
    )


def _row(
    plan: Plan,
    setup: Setup,
    call: Call,
    spelling: Spelling,
    arguments: Sequence[str],
    at: Mapping[str, float],
    wrt: str,
    clarke: tuple[float, float] | None,
) -> SpellingRow:
    """One spelling through autograd: the derivative, or the error torch raised."""
    code = spelling.code.format(*arguments)
    function = compile_tree(plan.expression, respell=(call, spelling.run))
    try:
        values = autograd_at_points(
            function,
            variables=plan.variables,
            wrt=(wrt,),
            points=[at],
            device=setup.device,
            dtype=setup.dtype,
        )
    except RuntimeError as error:
        # torch.heaviside has no derivative: "derivative for aten::heaviside is not implemented".
        return SpellingRow(node_text(call), code, None, None, str(error).splitlines()[0])
    value = values.gradients[wrt][0]
    inside = None if clarke is None else in_interval(value, *clarke, setup.tolerance)
    return SpellingRow(node_text(call), code, value, inside)
