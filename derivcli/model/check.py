"""``deriv check``: the request, and the report of a custom Function checked against an expression."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.plan import Plan, make_plan
from derivcli.model.setup import Mode, Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


@dataclass(frozen=True, slots=True)
class Handed:
    """A Function class given in Python and kept in ``derivcli.work.check.HANDED`` under ``key``.

    It reaches a worker forked after it was handed over through the fork's
    copy of memory: a class defined inside a test function cannot be pickled.
    """

    key: int


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """A checked ``deriv check`` run: the Function's ``FILE.py:NAME``, the expression and its points.

    The Function runs in float64 on the CPU; the setup carries the time budget.
    """

    function: str
    plan: Plan
    setup: Setup
    taylor: bool = False
    #: A Function class handed over in Python (the API, the test helpers) instead of ``FILE.py:NAME``.
    given: object | None = None


#: Fitted Taylor orders at or above this pass: a right backward gives 2, a wrong one 1.
TAYLOR_PASS: Final = 1.8
PASS: Final = "pass"
FAIL: Final = "fail"
NOT_APPLICABLE: Final = "not applicable"
#: Points checked when none are given: positive, not integers, not at a kink of common functions.
DEFAULT_VALUES: Final = ("0.5", "1.25", "2")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: its name, pass, fail or not applicable, why, and the largest error it saw."""

    name: str
    status: str
    message: str
    max_abs_error: float | None = None
    #: The Taylor remainder test's fitted order (2 when backward is right); None for other checks.
    order: float | None = None


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The result of ``deriv check``."""

    function: str
    file: str
    against: str
    expression: str
    variables: tuple[str, ...]
    derivatives: Mapping[str, str]
    points: tuple[Mapping[str, float], ...]
    checks: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        """True when no check failed."""
        return all(check.status != FAIL for check in self.checks)


def default_points(variables: Sequence[str]) -> list[str]:
    """Three ``--at`` texts, each variable taking each default value once."""
    return [
        ",".join(
            f"{name}={DEFAULT_VALUES[(row + column) % len(DEFAULT_VALUES)]}"
            for column, name in enumerate(variables)
        )
        for row in range(len(DEFAULT_VALUES))
    ]


def check_request(
    *,
    function: str,
    against: str,
    at: Sequence[str],
    timeout: float,
    taylor: bool = False,
    given: object | None = None,
) -> CheckRequest:
    """Check the expression and the points (no SymPy, no torch; the user's file is not read), or raise."""
    setup = Setup.checked(timeout=timeout)
    parsed = parse_expression(against, what="--against expression")
    if not parsed.variables:
        raise DerivError(
            ErrorKind.MISSING_VALUE, f"--against {against!r} has no variables: the Function has inputs"
        )
    texts = at or default_points(parsed.variables)
    plan = make_plan(mode=Mode.PARTIAL, expression=parsed, points=[parse_point(text) for text in texts])
    return CheckRequest(function=function, plan=plan, setup=setup, taylor=taylor, given=given)
