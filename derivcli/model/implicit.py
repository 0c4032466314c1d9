"""``deriv implicit``: the request and the report of dy/dx for a curve F(x, y) = 0 (light types)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.plan import Plan, make_plan, split_names
from derivcli.model.setup import Mode, Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point

#: Orders of implicit derivative deriv gives: dy/dx and d2y/dx2.
MAX_IMPLICIT_ORDER = 2


@dataclass(frozen=True, slots=True)
class ImplicitRequest:
    """A checked ``deriv implicit`` run: F = lhs - rhs, x and y, the points, the order and the setup."""

    equation: str
    plan: Plan
    x: str
    y: str
    order: int
    setup: Setup
    strict: bool = False


def implicit_request(
    *, equation: str, at: Sequence[str], wrt: Sequence[str], order: int, setup: Setup, strict: bool = False
) -> ImplicitRequest:
    """Read ``lhs = rhs`` (or ``F`` for F = 0), decide x and y, check the points; or raise DerivError."""
    sides = equation.split("=")
    if len(sides) > 2:
        raise DerivError(ErrorKind.SYNTAX, f"an equation has one '=', got {len(sides) - 1}: {equation!r}")
    if not 1 <= order <= MAX_IMPLICIT_ORDER:
        raise DerivError(ErrorKind.BAD_OPTION, f"--order must be 1 or 2 for implicit, got {order}")
    # Each side is parsed alone first, so that an error points into the text as typed.
    for side in sides:
        parse_expression(side, what="equation side")
    text = sides[0] if len(sides) == 1 else f"({sides[0].strip()}) - ({sides[1].strip()})"
    parsed = parse_expression(text)
    names = split_names(wrt, option="--wrt")
    variables = list(parsed.variables)
    if len(variables) != 2:
        raise DerivError(
            ErrorKind.BAD_OPTION,
            f"an implicit curve F(x, y) = 0 has two variables; {equation!r} has {len(variables)}"
            f" ({', '.join(variables) or 'none'})",
        )
    if len(names) > 1 or (names and names[0] not in variables):
        raise DerivError(ErrorKind.BAD_OPTION, f"--wrt names x, one of {', '.join(variables)}")
    x = names[0] if names else variables[0]
    y = next(name for name in variables if name != x)
    plan = make_plan(
        mode=Mode.PARTIAL, expression=parsed, points=[parse_point(spec) for spec in at], wrt=(x, y)
    )
    return ImplicitRequest(equation=equation, plan=plan, x=x, y=y, order=order, setup=setup, strict=strict)


@dataclass(frozen=True, slots=True)
class ImplicitValue:
    """One implicit derivative at one point, both ways."""

    exact: str | None
    symbolic: float
    autograd: float
    abs_error: float
    agree: bool


@dataclass(frozen=True, slots=True)
class ImplicitPoint:
    """Everything at one point: where it is, whether it lies on the curve, each derivative, the notes."""

    at: Mapping[str, float]
    at_input: Mapping[str, str]
    residual: float
    on_curve: bool
    derivatives: Mapping[str, ImplicitValue]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImplicitReport:
    """The result of ``deriv implicit``: F, x and y, each derivative's formula, and every point."""

    equation: str
    function: str
    x: str
    y: str
    dtype: str
    formulas: Mapping[str, str]
    points: tuple[ImplicitPoint, ...]

    @property
    def all_agree(self) -> bool:
        """True when every derivative at every point agrees."""
        return all(value.agree for point in self.points for value in point.derivatives.values())
