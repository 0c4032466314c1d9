"""How a derivative is shown: cheap size-bounded rewrites, or simplify under a time budget."""

from __future__ import annotations

from typing import Final

import sympy

from derivcli.core.symbolic.budget import OutOfTimeError, time_budget
from derivcli.core.symbolic.factoring import cancelling_cannot_shorten, factoring_cannot_shorten
from derivcli.core.symbolic.plain_text import plain_text

#: Expressions with more operations than this are shown as ``diff`` returned them.
MAX_REWRITE_OPS: Final = 400
#: Rational functions with larger powers are not cancelled (cancel expands them).
MAX_CANCEL_EXPONENT: Final = 64
#: Time budget of the cheap rewriting, in seconds.
REWRITE_SECONDS: Final = 0.5


def display_form(derivative: sympy.Expr) -> sympy.Expr:
    """A cheap, size-bounded rewrite for showing a derivative; never longer than the input.

    Full ``simplify`` can take minutes; these rewrites take milliseconds.
    """
    candidates = _display_candidates(derivative)
    return min(candidates, key=lambda candidate: len(str(candidate)))


def display_text(derivative: sympy.Expr) -> str:
    """The text of :func:`display_form`, printing each candidate once (printing is SymPy's slow part)."""
    shown = plain_text(derivative)
    if factoring_cannot_shorten(derivative, len(shown)) and (
        not _has_denominator(derivative) or cancelling_cannot_shorten(derivative, len(shown))
    ):
        # The derivative's own text wins whatever factoring (and cancelling) does: no rewrite is tried.
        return shown
    rewrites = (str(candidate) for candidate in _display_candidates(derivative)[1:])
    return min((shown, *rewrites), key=len)


def _display_candidates(derivative: sympy.Expr) -> list[sympy.Expr]:
    """The derivative and its cheap rewrites, without repeats."""
    if sympy.count_ops(derivative) > MAX_REWRITE_OPS:
        return [derivative]
    candidates = [derivative]
    try:
        with time_budget(REWRITE_SECONDS):
            candidates.append(sympy.factor_terms(derivative))
            # cancel expands powers: (x+1)**20000 would take minutes; without a
            # denominator there is nothing to cancel.
            if (
                _has_denominator(derivative)
                and derivative.is_rational_function()
                and _largest_exponent(derivative) <= MAX_CANCEL_EXPONENT
            ):
                candidates.append(sympy.cancel(derivative))
    except OutOfTimeError:
        pass
    # Rewrites often change nothing; equal candidates would only be printed twice.
    return list(dict.fromkeys(candidates))


def _has_denominator(expr: sympy.Expr) -> bool:
    """True when ``expr`` divides by something that depends on a variable."""
    return any(power.exp.is_negative and power.base.free_symbols for power in expr.atoms(sympy.Pow))


def _largest_exponent(expr: sympy.Expr) -> int:
    """The largest integer exponent in ``expr`` (0 when there is none)."""
    exponents = [abs(int(power.exp)) for power in expr.atoms(sympy.Pow) if power.exp.is_Integer]
    return max(exponents, default=0)


def simplify_within(expr: sympy.Expr, seconds: float) -> sympy.Expr | None:
    """``sympy.simplify`` under a time budget; None when it ran out of time."""
    try:
        with time_budget(seconds):
            simplified = sympy.simplify(expr)
    except OutOfTimeError:
        return None
    return simplified if len(str(simplified)) <= len(str(expr)) else expr
