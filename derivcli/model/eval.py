"""``deriv eval``, ``partial`` and ``hessian``: the checked request, and the report every output comes from.

Kept apart from :mod:`derivcli.core.compare` so that rendering a report (and
unpickling one that the worker process computed) imports neither SymPy nor
torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.bits import Bits, Rewrite
from derivcli.model.pickling import pickled_by_fields
from derivcli.model.plan import Plan, make_plan, split_names
from derivcli.model.setup import DEFAULT_SIMPLIFY_TIMEOUT, Mode, Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


@dataclass(frozen=True, slots=True)
class OneSided:
    """A one-sided finite difference at a kink and its error bound."""

    value: float
    error_bound: float


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class DerivativeEntry:
    """One derivative at one point, both ways.

    At a symbolic point (``--at x=a``) only ``symbolic`` and ``exact`` are
    known: the numbers, and so the verdict, are None.
    """

    symbolic: str
    exact: str | None
    symbolic_value: float | None
    autograd: float | None
    abs_error: float | None
    rel_error: float | None
    agree: bool | None
    note: str | None
    fd: float | None = None
    fd_error_bound: float | None = None
    fd_abs_error: float | None = None
    #: With --bits: bits of error of both witnesses and the culprit operation; None without.
    bits: Bits | None = None
    #: With --bits: equal expressions whose autograd derivative loses fewer bits here, best first.
    rewrites: tuple[Rewrite, ...] | None = None
    #: At a kink: the Clarke subdifferential along this variable, [low, high]; None where f is smooth.
    clarke: tuple[float, float] | None = None
    #: Its element of least norm (PyTorch's rule for convex kinks).
    min_norm: float | None = None
    autograd_in_clarke: bool | None = None
    #: Autograd gives 0 where 0 is not in the Clarke set.
    artificial_critical_point: bool | None = None
    #: With --fd at a kink: the one-sided differences, and whether autograd lies between them.
    fd_left: OneSided | None = None
    fd_right: OneSided | None = None
    autograd_between_fd: bool | None = None
    #: For a disagreement, whether a note names its cause (a kink, the domain, overflow, the point's
    #: rounding, precision); None where both agree.
    explained: bool | None = None


@dataclass(frozen=True, slots=True)
class Tangent:
    """The tangent line at a point, y = slope*x + intercept: exactly, and in float64.

    At a symbolic point only the exact line is known: slope and intercept are None.
    """

    exact: str
    slope: float | None
    intercept: float | None


@dataclass(frozen=True, slots=True)
class Latex:
    """f and each derivative in LaTeX (``sympy.latex``)."""

    function: str
    derivatives: Mapping[str, str]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PointReport:
    """Everything computed at one point; at a symbolic point the numbers are None."""

    at: Mapping[str, float | None]
    at_exact: Mapping[str, str]
    at_input: Mapping[str, str]
    value: float | None
    value_exact: str | None
    value_autograd: float | None
    derivatives: Mapping[str, DerivativeEntry]
    #: With --tangent: the tangent line there (None where f or f' is not a number).
    tangent: Tangent | None = None

    @property
    def symbolic(self) -> bool:
        """True at a symbolic point (``--at x=a``), where only the symbolic side answers."""
        return any(value is None for value in self.at.values())


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Report:
    """The result of ``deriv eval`` or ``deriv partial``."""

    input: str
    expression: str
    variables: tuple[str, ...]
    wrt: tuple[str, ...]
    device: str
    dtype: str
    order: int
    rtol: float
    atol: float
    derivatives: Mapping[str, str]
    points: tuple[PointReport, ...]
    notes: tuple[str, ...]
    #: With --latex: f and each derivative in LaTeX.
    latex: Latex | None = None

    @property
    def all_agree(self) -> bool:
        """True when no derivative at any point disagrees (a symbolic point has nothing to compare)."""
        return all(entry.agree is not False for point in self.points for entry in point.derivatives.values())

    @property
    def outside_clarke(self) -> bool:
        """True when autograd lies outside the Clarke subdifferential somewhere."""
        return any(
            entry.autograd_in_clarke is False for point in self.points for entry in point.derivatives.values()
        )

    @property
    def unexplained(self) -> int:
        """Disagreements that no note explains."""
        return sum(entry.explained is False for point in self.points for entry in point.derivatives.values())


@dataclass(frozen=True, slots=True)
class AutogradPoint:
    """Autograd's answer at one point, without the symbolic side."""

    at: Mapping[str, float]
    at_input: Mapping[str, str]
    value: float
    derivatives: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class AutogradOnly:
    """What autograd alone says: shown when the symbolic side then runs out of the time budget."""

    input: str
    variables: tuple[str, ...]
    wrt: tuple[str, ...]
    device: str
    dtype: str
    order: int
    points: tuple[AutogradPoint, ...]


@dataclass(frozen=True, slots=True)
class EvalRequest:
    """A checked ``eval``, ``partial`` or ``hessian`` run: what to compute, where, and how to judge it."""

    plan: Plan
    setup: Setup
    mode: Mode = Mode.EVAL
    simplify: bool = False
    simplify_timeout: float = DEFAULT_SIMPLIFY_TIMEOUT
    fd: bool = False
    strict: bool = False
    bits: bool = False
    strict_clarke: bool = False
    strict_unexplained: bool = False
    tangent: bool = False
    latex: bool = False


def eval_request(
    *,
    mode: Mode,
    expression: str,
    at: Sequence[str],
    setup: Setup,
    wrt: Sequence[str] = (),
    order: int = 1,
    fd: bool = False,
    simplify: bool = False,
    simplify_timeout: float = DEFAULT_SIMPLIFY_TIMEOUT,
    strict: bool = False,
    bits: bool = False,
    strict_clarke: bool = False,
    strict_unexplained: bool = False,
    tangent: bool = False,
    latex: bool = False,
) -> EvalRequest:
    """Check every option and parse the expression and points (no SymPy, no torch), or raise DerivError."""
    if not (simplify_timeout > 0 and simplify_timeout != float("inf")):
        raise DerivError(
            ErrorKind.BAD_OPTION, f"--simplify-timeout must be a finite number > 0, got {simplify_timeout}"
        )
    if tangent and (mode is not Mode.EVAL or order != 1):
        raise DerivError(
            ErrorKind.BAD_OPTION,
            "--tangent draws the tangent line of a function of one variable: use eval, order 1",
        )
    if fd and order > 2:
        raise DerivError(ErrorKind.BAD_OPTION, "--fd gives first and second derivatives, not order 3 or more")
    plan = make_plan(
        mode=mode,
        expression=parse_expression(expression),
        points=[parse_point(text, symbolic=mode is not Mode.HESSIAN) for text in at],
        wrt=split_names(wrt, option="--wrt"),
        order=order,
    )
    return EvalRequest(
        plan=plan,
        setup=setup,
        mode=mode,
        simplify=simplify,
        simplify_timeout=simplify_timeout,
        fd=fd,
        strict=strict,
        bits=bits,
        strict_clarke=strict_clarke,
        strict_unexplained=strict_unexplained,
        tangent=tangent,
        latex=latex,
    )
