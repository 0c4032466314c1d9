"""``deriv spellings``: the request, and the report of every torch spelling of the kinks at one point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.plan import Plan, make_plan, split_names
from derivcli.model.setup import Mode, Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


@dataclass(frozen=True, slots=True)
class SpellingsRequest:
    """A checked ``deriv spellings`` run: one point, one variable to differentiate by, the setup."""

    plan: Plan
    setup: Setup
    strict_clarke: bool = False


def spellings_request(
    *, expression: str, at: Sequence[str], wrt: Sequence[str], setup: Setup, strict_clarke: bool = False
) -> SpellingsRequest:
    """Check the one point and the variable (no SymPy, no torch), or raise DerivError."""
    points = [parse_point(text) for text in at]
    if len(points) != 1:
        raise DerivError(
            ErrorKind.BAD_POINT,
            f"deriv spellings compares spellings at one point: give exactly one --at (got {len(points)})",
        )
    plan = make_plan(
        mode=Mode.EVAL,
        expression=parse_expression(expression),
        points=points,
        wrt=split_names(wrt, option="--wrt"),
    )
    return SpellingsRequest(plan=plan, setup=setup, strict_clarke=strict_clarke)


@dataclass(frozen=True, slots=True)
class SpellingRow:
    """One torch spelling of one kink function of the expression, and what autograd gives with it."""

    site: str
    spelling: str
    autograd: float | None
    in_clarke: bool | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SpellingsReport:
    """The result of ``deriv spellings``: the Clarke set at the point and each spelling's derivative."""

    input: str
    expression: str
    wrt: str
    at: float
    at_input: str
    device: str
    dtype: str
    exact: float
    clarke: tuple[float, float] | None
    rows: tuple[SpellingRow, ...]
    notes: tuple[str, ...]

    @property
    def outside_clarke(self) -> bool:
        """True when some spelling gives a derivative outside the Clarke set."""
        return any(row.in_clarke is False for row in self.rows)
