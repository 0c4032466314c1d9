"""``deriv steps``: the request, and the derivation rule by rule with both witnesses at every step.

Light types only: rendering a derivation imports neither SymPy nor torch.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.plan import Plan, make_plan, split_names
from derivcli.model.setup import Mode, Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


class Divergence(enum.StrEnum):
    """Why autograd parts from the exact value at a step (the ``reason`` of the JSON)."""

    OVERFLOW = "overflow"
    ZERO_TIMES_INFINITY = "0*inf"
    KINK = "kink convention"
    DOMAIN = "outside the domain"
    ROUNDING = "rounding"


@dataclass(frozen=True, slots=True)
class StepValues:
    """Both witnesses at the point for one step: the exact derivative and autograd's, and the nodes."""

    #: The step's derivative at the point as exact text (None when too large to form).
    exact: str | None
    #: That value rounded to float64 (nan where it is not a real number).
    value: float
    #: The autograd nodes (``grad_fn`` names) that carry out this step; empty for a constant.
    nodes: tuple[str, ...]
    #: Autograd's derivative for this step.
    autograd: float
    #: The subexpression's value as torch computed it (None for a rule's outer function).
    forward: float | None
    agree: bool
    #: At a chain or product rule: the product autograd forms, e.g. ``inf * 0 = nan``.
    combination: str | None = None
    #: At a chain rule's outer function: where it is differentiated, e.g. ``u = 0``.
    argument: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One rule application: the expression, the rule, its result, and with a point, both values."""

    id: int
    parent: int | None
    #: "chain", "sum", "product", "quotient", "power", "sin", ... ("unknown" if no rule applies).
    rule: str
    #: The expression this step differentiates, as written (``sqrt(u)`` for a chain rule's outer function).
    expression: str
    #: What it is differentiated by: the variable, or the chain rule's ``u``.
    by: str
    #: The rule's result: the derivative of ``expression`` by ``by``.
    derivative: str
    #: The rule in general, e.g. ``d/dx (u*v) = du/dx*v + u*dv/dx``.
    formula: str
    #: At a chain rule: what ``u`` stands for, e.g. ``u = x**2``.
    let: str | None = None
    #: With --latex: the derivative in LaTeX.
    latex: str | None = None
    values: StepValues | None = None


@dataclass(frozen=True, slots=True)
class FirstDivergence:
    """The first step where exact and autograd part, and why."""

    step: int
    reason: Divergence
    detail: str


@dataclass(frozen=True, slots=True)
class StepsReport:
    """The result of ``deriv steps``: the derivation as a flat list in tree order (parents first)."""

    input: str
    expression: str
    variable: str
    variables: tuple[str, ...]
    at: Mapping[str, float] | None
    at_input: Mapping[str, str] | None
    device: str
    dtype: str
    steps: tuple[Step, ...]
    first_divergence: FirstDivergence | None
    #: With --latex: f in LaTeX.
    latex: str | None = None

    @property
    def agree(self) -> bool:
        """True when every step's two values agree (always, without a point)."""
        return all(step.values is None or step.values.agree for step in self.steps)


@dataclass(frozen=True, slots=True)
class StepsRequest:
    """A checked ``deriv steps`` run: the expression, the variable, at most one point."""

    plan: Plan
    setup: Setup
    latex: bool = False
    strict: bool = False


def steps_request(
    *,
    expression: str,
    at: Sequence[str],
    wrt: Sequence[str],
    setup: Setup,
    latex: bool = False,
    strict: bool = False,
) -> StepsRequest:
    """Check the variable and the one point (no SymPy, no torch), or raise DerivError."""
    parsed = parse_expression(expression)
    if len(at) > 1:
        raise DerivError(
            ErrorKind.BAD_POINT,
            f"deriv steps follows the derivation at one point: give one --at (got {len(at)})",
        )
    points = [parse_point(text) for text in at]
    names = split_names(wrt, option="--wrt")
    if len(names) > 1:
        raise DerivError(
            ErrorKind.AMBIGUOUS_VARIABLE,
            f"deriv steps differentiates by one variable; --wrt names {', '.join(names)}",
        )
    try:
        plan = make_plan(mode=Mode.EVAL, expression=parsed, points=points, wrt=names)
    except DerivError as error:
        if error.kind is not ErrorKind.AMBIGUOUS_VARIABLE:
            raise
        # eval's message suggests 'deriv partial'; a derivation is along one variable.
        named = [
            assignment.name
            for point in points
            for assignment in point.assignments
            if assignment.name is not None and assignment.name not in parsed.variables
        ]
        variables = [*parsed.variables, *dict.fromkeys(named)]
        raise DerivError(
            error.kind,
            f"{expression!r} has several variables ({', '.join(variables)}):"
            f" choose one with --wrt {variables[0]}",
        ) from None
    return StepsRequest(plan=plan, setup=setup, latex=latex, strict=strict)
