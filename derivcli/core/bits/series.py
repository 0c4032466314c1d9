"""A series branch near a removable singularity: the Taylor polynomial that replaces a 0/0 form there.

``(exp(x) - 1)/x`` is 0/0 at 0 and cancels badly near it; its Taylor
polynomial ``1 + x/2 + x**2/6 + ...`` does not. The branch is offered only
where its truncation error, value and derivative, is below the dtype's
precision at 50 digits on sample points across the branch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import sympy

from derivcli.core.symbolic.budget import OutOfTimeError, time_budget
from derivcli.errors import DerivError
from derivcli.model.setup import DType
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.tree import ParsedExpression
from derivcli.worker.cache import sized_cache

#: How close to a singularity (relative to max(1, |x0|)) a point must be for a series branch.
NEAR: Final = 0.01
#: Highest order of Taylor polynomial tried.
MAX_ORDER: Final = 16
#: Digits of the comparison that checks a branch.
CHECK_DIGITS: Final = 50
#: Seconds the search for a branch may take.
BUDGET_SECONDS: Final = 2.0


@dataclass(frozen=True, slots=True)
class Branch:
    """The Taylor polynomial as an expression, and where it stands in for the original."""

    expression: ParsedExpression
    where: str


def series_branch(expr: sympy.Expr, symbol: sympy.Symbol, point: sympy.Rational, dtype: str) -> Branch | None:
    """The series branch of ``expr`` at the removable singularity nearest ``point``, if one is near."""
    try:
        with time_budget(BUDGET_SECONDS):
            return _branch(expr, symbol, point, dtype)
    except (OutOfTimeError, ArithmeticError, ValueError, TypeError, NotImplementedError, DerivError):
        return None


def _branch(expr: sympy.Expr, symbol: sympy.Symbol, point: sympy.Rational, dtype: str) -> Branch | None:
    zeros = _singularities(expr, symbol)
    if not zeros:
        return None
    center = min(zeros, key=lambda zero: abs(float(zero - point)))
    distance = abs(point - center)
    if float(distance) > NEAR * max(1.0, abs(float(center))):
        return None
    # The branch's radius is the power of 10 above twice the distance: nearby points share one branch.
    exponent = math.ceil(math.log10(float(2 * distance))) if distance else -6
    return _polynomial(expr, symbol, center, exponent, dtype)


@sized_cache(lambda expr, *_: len(str(expr)))
def _singularities(expr: sympy.Expr, symbol: sympy.Symbol) -> tuple[sympy.Rational, ...]:
    """The rational real zeros of the denominator where ``expr`` has a finite limit: its 0/0 points."""
    _, denominator = sympy.fraction(sympy.together(expr))
    if not denominator.has(symbol):
        return ()
    zeros = sympy.solveset(denominator, symbol, sympy.S.Reals)
    if not isinstance(zeros, sympy.FiniteSet):
        return ()
    removable = []
    for zero in zeros:
        if not zero.is_Rational:
            continue
        limit = sympy.limit(expr, symbol, zero)
        if limit.is_real and limit.is_finite:
            removable.append(zero)
    return tuple(removable)


@sized_cache(lambda expr, *_: len(str(expr)))
def _polynomial(
    expr: sympy.Expr, symbol: sympy.Symbol, center: sympy.Rational, exponent: int, dtype: str
) -> Branch | None:
    """The lowest-order Taylor polynomial at ``center`` good to the dtype within 10**exponent of it."""
    radius = sympy.Rational(10) ** exponent
    samples = [
        center + radius * fraction for fraction in (-1, sympy.Rational(-1, 2), sympy.Rational(1, 3), 1)
    ]
    derivative = sympy.diff(expr, symbol)
    tolerance = sympy.Rational(1, 2 ** (DType(dtype).significand_bits + 1))
    for order in range(2, MAX_ORDER + 1):
        polynomial = sympy.series(expr, symbol, center, order).removeO()
        if _close(polynomial, expr, symbol, samples, tolerance) and _close(
            sympy.diff(polynomial, symbol), derivative, symbol, samples, tolerance
        ):
            offset = symbol if center == 0 else symbol - center
            return Branch(parse_expression(str(polynomial)), f"|{offset}| < {float(radius):g}")
    return None


def _close(
    approximation: sympy.Expr,
    exact: sympy.Expr,
    symbol: sympy.Symbol,
    samples: list[sympy.Expr],
    tolerance: sympy.Rational,
) -> bool:
    """True when ``approximation`` is within ``tolerance`` (relative) of ``exact`` at every sample."""
    for sample in samples:
        want = exact.evalf(CHECK_DIGITS, subs={symbol: sample})
        got = approximation.evalf(CHECK_DIGITS, subs={symbol: sample})
        if not (want.is_real and got.is_real):
            return False
        if abs(got - want) > tolerance * abs(want):
            return False
    return True
