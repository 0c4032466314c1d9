"""What is special about a point: kinks, jumps, domain edges, and one-sided derivatives at kinks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import sympy
from sympy.codegen.cfunctions import log1p

from derivcli.core.activations import relu, softplus
from derivcli.core.symbolic.budget import OutOfTimeError, time_budget
from derivcli.core.symbolic.exact import evalf, real_and_imaginary
from derivcli.worker.cache import sized_cache

#: Distance from a kink at which one-sided derivatives are read, relative to the point.
ONE_SIDED_STEP: Final = sympy.Rational(1, 10**40)
#: Above this argument torch's softplus returns its argument unchanged.
SOFTPLUS_THRESHOLD: Final = 20
#: One-sided derivatives smaller than this are zero (60-digit rounding residue).
ONE_SIDED_ZERO: Final = sympy.Float("1e-30")

#: Functions with a kink or jump where their argument is 0, by the name users write.
_KINK_FUNCTIONS: Final[Mapping[type, str]] = {
    sympy.Abs: "abs",
    relu: "relu",
    sympy.Heaviside: "heaviside",
    sympy.sign: "sign",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """Something special about a point: a kink, a jump, or the edge of a function's domain.

    ``left`` and ``right`` are the one-sided derivatives, for kinks.
    """

    kind: str
    function: str
    argument: str
    left: float | None = None
    right: float | None = None


def analyse_point(
    expr: sympy.Expr,
    derivative: sympy.Expr,
    variable: sympy.Symbol,
    point: Mapping[sympy.Symbol, sympy.Expr],
) -> tuple[Finding, ...]:
    """Find kinks, jumps and domain edges of ``expr`` at ``point`` that involve ``variable``."""
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for sub in _sites(expr, variable):
        try:
            finding = _branch_cut(sub, variable, point) or _special_at(sub, point)
        except (ValueError, TypeError):
            # min(sin(sqrt(-1)), 0): SymPy cannot order complex values; nothing to report.
            continue
        if finding is None or (finding.kind, finding.argument) in seen:
            continue
        seen.add((finding.kind, finding.argument))
        if finding.kind in ("kink", "jump"):
            left, right = _one_sided(derivative, variable, point)
            finding = Finding(finding.kind, finding.function, finding.argument, left, right)
        findings.append(finding)
    return tuple(findings)


#: What one expression's sites count for in the cache (about 20,000 expressions are remembered).
SITES_WEIGHT: Final = 100
#: Functions whose points can be special (kinks, jumps, domain edges, thresholds, branch cuts).
_SITE_FUNCTIONS: Final = (
    *_KINK_FUNCTIONS,
    sympy.Max,
    sympy.Min,
    softplus,
    log1p,
    sympy.log,
    sympy.asin,
    sympy.acos,
    sympy.acosh,
    sympy.atanh,
    sympy.atan2,
)


# Weighed as a short expression each: the sites are parts of an expression the symbolic cache holds.
@sized_cache(lambda *_: SITES_WEIGHT)
def _sites(expr: sympy.Expr, variable: sympy.Symbol) -> tuple[sympy.Basic, ...]:
    """The subexpressions of ``expr`` with ``variable`` that can be special at a point, in preorder.

    Found once per expression: a batch that asks about the same expression at
    new points looks only at these (a polynomial has none).
    """
    return tuple(
        sub
        for sub in sympy.preorder_traversal(expr)
        if isinstance(sub, sympy.Basic)
        and (isinstance(sub, _SITE_FUNCTIONS) or _irregular_power(sub))
        and variable in sub.free_symbols
    )


def _irregular_power(sub: sympy.Basic) -> bool:
    """A power with a rational exponent that is not a positive integer (x**(1/2), 1/x)."""
    if not isinstance(sub, sympy.Pow):
        return False
    exponent = sub.args[1]
    return bool(exponent.is_Rational and not (exponent.is_Integer and exponent > 0))


def _branch_cut(
    sub: sympy.Basic, variable: sympy.Symbol, point: Mapping[sympy.Symbol, sympy.Expr]
) -> Finding | None:
    """atan2(y, x) on its branch cut (y = 0, x < 0), where it jumps by 2*pi as y changes sign.

    Only a derivative along y (its first argument) crosses the cut; one along x
    alone stays on it.
    """
    if type(sub) is not sympy.atan2 or variable not in sub.args[0].free_symbols:
        return None
    y, x = sub.args
    if _sign_at(y, point) == 0 and _sign_at(x, point) == -1:
        return Finding("cut", "atan2", f"{y}, {x}")
    return None


@dataclass(frozen=True, slots=True)
class KinkSite:
    """A subexpression that is not differentiable where ``argument`` is 0 (for ``deriv grid``)."""

    kind: str
    function: str
    label: str
    argument: sympy.Expr


def kink_sites(expr: sympy.Expr) -> tuple[KinkSite, ...]:
    """Every kink (abs, relu, max, min) and jump (heaviside, sign) in ``expr``, each once.

    For ``max(a, b)`` and ``min(a, b)`` the argument is ``a - b`` for each pair
    (the kink is where two arguments meet).
    """
    sites: dict[tuple[str, str], KinkSite] = {}
    for sub in sympy.preorder_traversal(expr):
        if not isinstance(sub, sympy.Basic) or not sub.free_symbols:
            continue
        func = type(sub)
        if func in _KINK_FUNCTIONS:
            kind = "jump" if func in (sympy.Heaviside, sympy.sign) else "kink"
            name = _KINK_FUNCTIONS[func]
            site = KinkSite(kind, name, f"{name}({sub.args[0]})", sub.args[0])
            sites.setdefault((site.label, str(site.argument)), site)
        elif func in (sympy.Max, sympy.Min):
            name = "max" if func is sympy.Max else "min"
            label = f"{name}({', '.join(map(str, sub.args))})"
            for index, first in enumerate(sub.args):
                for second in sub.args[index + 1 :]:
                    difference = first - second
                    if difference.free_symbols:
                        sites.setdefault((label, str(difference)), KinkSite("kink", name, label, difference))
    return tuple(sites.values())


def _special_at(sub: sympy.Basic, point: Mapping[sympy.Symbol, sympy.Expr]) -> Finding | None:
    """Describe what is special about one subexpression at the point, if anything."""
    func = type(sub)
    if func in _KINK_FUNCTIONS:
        argument = sub.args[0]
        if _sign_at(argument, point) == 0:
            kind = "jump" if func in (sympy.Heaviside, sympy.sign) else "kink"
            return Finding(kind, _KINK_FUNCTIONS[func], str(argument))
        return None
    if func in (sympy.Max, sympy.Min):
        values = [arg.xreplace(dict(point)) for arg in sub.args]
        for index, first in enumerate(values):
            if any(_sign_of_value(first - other) == 0 for other in values[index + 1 :]):
                return Finding("kink", "max" if func is sympy.Max else "min", ", ".join(map(str, sub.args)))
        return None
    if func is softplus:
        # torch.nn.functional.softplus(x) returns x itself when x > 20.
        if _sign_at(sub.args[0] - SOFTPLUS_THRESHOLD, point) == 1:
            return Finding("threshold", "softplus", str(sub.args[0]))
        return None
    if func is log1p:
        # log1p(u) is log(1 + u): its domain ends where u is -1.
        sign = _sign_at(sub.args[0] + 1, point)
        if sign == 0:
            return Finding("infinite", "log1p", str(sub.args[0]))
        if sign is not None and sign < 0:
            return Finding("domain", "log1p", str(sub.args[0]))
        return None
    if func is sympy.log:
        sign = _sign_at(sub.args[0], point)
        if sign == 0:
            return Finding("edge", "log", str(sub.args[0]))
        if sign is not None and sign < 0:
            return Finding("domain", "log", str(sub.args[0]))
        return None
    if func is sympy.Pow:
        base, exponent = sub.args
        # A positive integer power is smooth everywhere: nothing to look at.
        if not exponent.is_Rational or (exponent.is_Integer and exponent > 0):
            return None
        sign = _sign_at(base, point)
        if sign == 0 and exponent < 1 and not exponent.is_zero:
            kind = "pole" if exponent < 0 else "steep"
            return Finding(kind, "sqrt" if exponent == sympy.S.Half else "power", str(base))
        if sign is not None and sign < 0 and not exponent.is_integer:
            if exponent.q % 2 == 1:
                # x**(1/3) at -8 is SymPy's principal root, complex; the real one is cbrt(x).
                return Finding("domain", f"principal root {exponent}", str(base))
            return Finding("domain", "sqrt" if exponent == sympy.S.Half else "power", str(base))
        return None
    return _inverse_function_edge(sub, point)


def _inverse_function_edge(sub: sympy.Basic, point: Mapping[sympy.Symbol, sympy.Expr]) -> Finding | None:
    """Domain edges of asin, acos, acosh and atanh."""
    func = type(sub)
    if func not in (sympy.asin, sympy.acos, sympy.acosh, sympy.atanh):
        return None
    value = sub.args[0].xreplace(dict(point))
    approx = evalf(value)
    if not approx.is_real:
        return None
    name = func.__name__
    if func is sympy.acosh:
        outside, edge = approx < 1, sympy.simplify(value - 1) == 0
    else:
        outside, edge = abs(approx) > 1, sympy.simplify(abs(value) - 1) == 0
    if edge:
        return Finding("infinite" if func is sympy.atanh else "steep", name, str(sub.args[0]))
    if outside:
        return Finding("domain", name, str(sub.args[0]))
    return None


def _sign_at(argument: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]) -> int | None:
    """The exact sign (-1, 0, 1) of ``argument`` at the point, or None if unknown or not real."""
    return _sign_of_value(argument.xreplace(dict(point)))


def _sign_of_value(value: sympy.Expr) -> int | None:
    """The exact sign of a constant: assumptions first, then 30 digits, then a bounded simplify."""
    if value.is_zero:
        return 0
    if value.is_extended_positive:
        return 1
    if value.is_extended_negative:
        return -1
    parts = real_and_imaginary(value)
    if parts is None:
        return None
    real, imaginary = parts
    if imaginary != 0 or not real.is_Number:
        return None
    if real == 0:
        return 0
    if abs(real) > sympy.Float("1e-25"):
        # Far from zero at 30 digits: the sign is certain.
        return 1 if real > 0 else -1
    try:
        with time_budget(1.0):
            return 0 if sympy.simplify(value) == 0 else None
    except OutOfTimeError:
        return None


def _one_sided(
    derivative: sympy.Expr, variable: sympy.Symbol, point: Mapping[sympy.Symbol, sympy.Expr]
) -> tuple[float | None, float | None]:
    """The derivative just left and just right of the point along ``variable``.

    Read at a distance of 1e-40 (relative) in 60-digit arithmetic: the
    derivative is continuous on each side of a kink, so these are its
    one-sided limits to far below float64's resolution. (SymPy's ``limit``
    is not used: it takes Heaviside(0) = 1/2 inside its expansions.)
    """
    at = point[variable]
    step = ONE_SIDED_STEP * max(sympy.Integer(1), abs(at))
    sides: list[float | None] = []
    for offset in (-step, step):
        shifted = {**point, variable: at + offset}
        try:
            with time_budget(2.0):
                value = derivative.evalf(60, subs=shifted)
        except (OutOfTimeError, TypeError, ValueError):
            sides.append(None)
            continue
        real, imaginary = value.as_real_imag()
        if imaginary != 0 or not real.is_Number:
            sides.append(None)
        elif abs(real) < ONE_SIDED_ZERO:
            # What is left of a cancellation such as -1 + 1 at 60 digits is zero.
            sides.append(0.0)
        else:
            # Round away the O(step) offset before converting to float.
            sides.append(float(sympy.Float(real, 25)))
    return sides[0], sides[1]
