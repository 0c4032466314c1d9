"""``deriv jacobian``: the checked request, and the report of a vector function's derivatives as matrices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.eval import Report
from derivcli.model.plan import split_names
from derivcli.model.setup import Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import PointSpec, parse_point, split_components
from derivcli.parsing.tree import ParsedExpression


@dataclass(frozen=True, slots=True)
class JacobianRequest:
    """A checked ``deriv jacobian`` run: the components as typed, the points and variables, the setup."""

    text: str
    points: tuple[PointSpec, ...]
    wrt: tuple[str, ...]
    setup: Setup
    fd: bool = False
    strict: bool = False


@dataclass(frozen=True, slots=True)
class Matrix:
    """One matrix of derivatives at one point: autograd, symbolic (float64), and their difference."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    autograd: tuple[tuple[float, ...], ...]
    symbolic: tuple[tuple[float, ...], ...]
    abs_error: tuple[tuple[float, ...], ...]
    agree: bool


@dataclass(frozen=True, slots=True)
class JacobianReport:
    """The result of ``deriv jacobian``: a report per component and the matrix at each point."""

    input: str
    components: tuple[str, ...]
    variables: tuple[str, ...]
    rows: tuple[Report, ...]
    matrices: tuple[Matrix, ...]

    @property
    def all_agree(self) -> bool:
        """True when every entry of every row agrees."""
        return all(report.all_agree for report in self.rows)


def parse_components(text: str) -> list[ParsedExpression]:
    """Split ``"x*y, x + y, sin(x)"`` at top-level commas and parse each part (errors point into ``text``)."""
    components = []
    for offset, piece in split_components(text):
        try:
            components.append(parse_expression(piece))
        except DerivError as error:
            column = None if error.column is None else error.column + offset
            raise DerivError(
                error.kind, error.message, source=text, column=column, length=error.length, hint=error.hint
            ) from None
    if len(components) < 2:
        raise DerivError(
            ErrorKind.BAD_OPTION,
            "a Jacobian needs two or more components separated by commas, e.g. 'x*y, x + y'",
        )
    return components


def jacobian_request(
    *,
    text: str,
    at: Sequence[str],
    wrt: Sequence[str],
    setup: Setup,
    fd: bool = False,
    strict: bool = False,
) -> JacobianRequest:
    """Check the components, points and variables (no SymPy, no torch), or raise DerivError."""
    parse_components(text)
    points = tuple(parse_point(spec) for spec in at)
    return JacobianRequest(
        text=text,
        points=points,
        wrt=split_names(wrt, option="--wrt"),
        setup=setup,
        fd=fd,
        strict=strict,
    )
