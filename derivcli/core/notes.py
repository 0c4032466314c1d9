"""The notes of a comparison: special circumstances at a point explained in words.

Kinks, jumps and domain edges, non-finite values, the rounding of the point to
the dtype, and which side a finite difference takes; nothing here computes a
derivative.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mpmath
import sympy

from derivcli.core.symbolic.budget import OutOfTimeError, time_budget
from derivcli.core.symbolic.build import node_expression
from derivcli.core.symbolic.display import display_form
from derivcli.core.symbolic.exact import (
    COMPLEX_INFINITY_TEXT,
    EVALF_DIGITS,
    ExactValue,
    ValueStatus,
    evaluate_at,
    rational_of_float,
)
from derivcli.core.symbolic.findings import Finding
from derivcli.errors import DerivError
from derivcli.model.agreement import within
from derivcli.model.setup import DType, Tolerance
from derivcli.model.text import format_number
from derivcli.parsing.points import Assignment
from derivcli.parsing.tree import ParsedExpression, node_text, post_order

if TYPE_CHECKING:
    from derivcli.core.numeric.finite_difference import FiniteDifference


def underflow_notes(
    point: Mapping[sympy.Symbol, sympy.Expr],
    float_point: Mapping[str, float],
    assignments: Mapping[str, Assignment],
    dtype: str,
) -> list[str]:
    """Say so when a non-zero coordinate rounds to zero in the dtype."""
    return [
        f"{symbol.name}={assignments[symbol.name].text} rounds to 0 in {dtype}:"
        f" autograd ran at {symbol.name}=0"
        for symbol, value in point.items()
        if float_point[symbol.name] == 0 and not value.is_zero
    ]


def fd_sides(fd: FiniteDifference, *, autograd: float, exact: float) -> str | None:
    """Which witness the finite difference sides with when the other two disagree (None: neither clearly)."""
    near_exact = math.isfinite(exact) and abs(fd.value - exact) <= fd.error_bound
    near_autograd = math.isfinite(autograd) and abs(fd.value - autograd) <= fd.error_bound
    value = _short_number(fd.value)
    if near_exact and not near_autograd:
        return f"the finite difference ({value} ± {fd.error_bound:.2g}) sides with symbolic"
    if near_autograd and not near_exact:
        return f"the finite difference ({value} ± {fd.error_bound:.2g}) sides with autograd"
    return None


def between(left: FiniteDifference, right: FiniteDifference, autograd: float) -> bool:
    """True when autograd lies between the two one-sided differences (each widened by its bound)."""
    low = min(left.value - left.error_bound, right.value - right.error_bound)
    high = max(left.value + left.error_bound, right.value + right.error_bound)
    return math.isfinite(autograd) and low <= autograd <= high


def one_sided_note(left: FiniteDifference, right: FiniteDifference, autograd: float) -> str:
    """The one-sided finite differences at a kink, and where autograd lies against them."""
    where = "between them" if between(left, right, autograd) else "outside them"
    return (
        f"one-sided finite differences {_short_number(left.value)} ± {left.error_bound:.2g} (left) and"
        f" {_short_number(right.value)} ± {right.error_bound:.2g} (right); autograd's"
        f" {format_number(autograd)} is {where}"
    )


def _short_number(value: float) -> str:
    """A finite difference to the digits that mean something."""
    return format_number(value) if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"


def _scientific(value: sympy.Expr | None) -> str:
    """A huge number in short scientific notation, e.g. 1.97e+434."""
    if value is None:
        return "unknown"
    approx = sympy.Float(value, 15)._mpf_
    _, _, exponent, bit_count = approx
    binary_magnitude = exponent + bit_count
    if binary_magnitude > 10**6:
        # Printing the decimal digits of the exponent itself could take forever.
        if binary_magnitude >= 10**4000:
            return "10 to a power of thousands of digits or more"
        return f"10 to a power of about {len(str(binary_magnitude))} digits"
    return str(mpmath.nstr(mpmath.mpf(approx), 3))


def _point_text(point: Mapping[sympy.Symbol, sympy.Expr]) -> str:
    return ", ".join(f"{symbol}={value}" for symbol, value in point.items())


def finding_note(
    finding: Finding,
    *,
    symbol: sympy.Symbol,
    point: Mapping[sympy.Symbol, sympy.Expr],
    autograd: float,
    exact: ExactValue,
) -> str:
    """Explain a kink, jump or domain edge in words."""
    where = f"at {_point_text(point)}"
    call = f"{finding.function}({finding.argument})"
    if finding.kind == "kink" or (finding.kind == "jump" and exact.status is ValueStatus.FINITE):
        shape = "a kink" if finding.kind == "kink" else "a jump"
        if finding.left is not None and finding.left == finding.right:
            return f"{call} has {shape} {where}, but the derivative is continuous there"
        used = (
            f"autograd used the subgradient {format_number(autograd)}"
            if math.isfinite(autograd)
            else f"autograd gives {format_number(autograd)}"
        )
        return (
            f"not differentiable {where}: {call} has {shape}; one-sided derivatives "
            f"{format_number(finding.left)} (left) and {format_number(finding.right)} (right); "
            f"{used}, symbolic gives {exact.exact} by SymPy's convention"
        )
    if finding.kind == "cut":
        y, x = finding.argument.split(", ", 1)
        return (
            f"{call} is on its branch cut {where} ({y} = 0, {x} < 0): it jumps by 2*pi as {y} changes sign,"
            f" so there the derivative is a Dirac delta plus {exact.exact}; autograd gives"
            f" {format_number(autograd)}, the derivative of the side it computed"
        )
    if finding.kind == "jump":
        return (
            f"{call} jumps {where}: the derivative is a Dirac delta there, not a number; "
            f"autograd returns {format_number(autograd)}"
        )
    if finding.kind == "domain" and finding.function.startswith("principal root "):
        exponent = sympy.Rational(finding.function.removeprefix("principal root "))
        real = f"cbrt({finding.argument})" if exponent.q == 3 else f"root({finding.argument}, {exponent.q})"
        power = real if exponent.p == 1 else f"{real}**{exponent.p}"
        return (
            f"{finding.argument} is negative {where}: its power {exponent} is the principal root, which is"
            f" complex there; for the real root write {power}"
        )
    if finding.kind == "domain":
        return f"{where} the argument {finding.argument} is outside the real domain of {finding.function}"
    if finding.kind == "edge":
        return (
            f"{finding.argument} is 0 {where}, the edge of the domain of {finding.function}: {call} is"
            " undefined there, and tends to -inf from inside the domain"
        )
    if finding.kind == "pole":
        return f"{finding.argument} is 0 {where}: division by zero"
    if finding.kind == "infinite":
        return f"{call} is infinite {where}"
    if finding.kind == "threshold":
        return (
            f"torch's softplus is exactly its argument above 20 (its threshold), so autograd differentiates"
            f" {finding.argument} there, not {call}; the difference is below exp(-20) relative"
        )
    return f"{call} has a vertical tangent {where}: the derivative is infinite"


def non_finite_autograd_note(
    autograd: float, exact: ExactValue, expr: sympy.Expr, dtype: str, *, overflow: Overflow | None = None
) -> str:
    """Why autograd is inf or nan where the exact derivative is a finite number."""
    largest = _largest_finite(dtype)
    if math.isinf(autograd) and abs(exact.value) > largest:
        return f"autograd overflows {dtype}: the exact value {format_number(exact.value)} is beyond its range"
    if overflow is not None:
        # log(1 + exp(x)) at 800: exp(x) is inf in float64, and its backward step meets inf/inf.
        return (
            f"autograd gives {format_number(autograd)}: {overflow.text} overflows {dtype} here (its exact"
            f" value is about {overflow.value}), and the steps after it meet inf"
        )
    if math.isinf(autograd):
        return f"autograd gives {format_number(autograd)}: an intermediate value overflowed {dtype}"
    return (
        f"autograd gives nan: a step of the expression as written is undefined in {dtype} arithmetic"
        " (0*inf, inf/inf, inf-inf, or a function outside its domain),"
        f" while SymPy's form, {expr}, is finite here"
    )


def _largest_finite(dtype: str) -> float:
    """The largest finite value of a dtype."""
    return DType(dtype).largest


def status_note(exact: ExactValue) -> str:
    """Explain a non-finite exact value."""
    return {
        ValueStatus.INFINITE: (
            "the derivative is infinite here: its exact value is a complex infinity (a division by zero)"
            if exact.exact == COMPLEX_INFINITY_TEXT
            else f"the derivative is infinite here (exact value {exact.exact})"
        ),
        ValueStatus.UNDEFINED: "the derivative is undefined here",
        ValueStatus.NOT_REAL: f"the derivative is not real here (exact value {exact.exact})",
        ValueStatus.DIRAC_DELTA: "the derivative is a Dirac delta here, not a number",
        ValueStatus.OVERFLOW: (
            f"the exact value, about {_scientific(exact.high_precision)},"
            " is finite but beyond float64's range"
        ),
    }.get(exact.status, "")


def rounding_note(
    derivative: sympy.Expr,
    point: Mapping[sympy.Symbol, sympy.Expr],
    float_point: Mapping[str, float],
    autograd: float,
    tolerance: Tolerance,
    dtype: str,
) -> str | None:
    """When the point is not representable in the dtype, see whether its rounding explains the gap."""
    rounded = {symbol: rational_of_float(float_point[symbol.name]) for symbol in point}
    if all(rounded[symbol] == value for symbol, value in point.items()):
        if dtype == DType.float32:
            return "float32 arithmetic: autograd carries about 7 significant digits; try --dtype float64"
        return None
    at_rounded = evaluate_at(derivative, rounded)
    shifted = ", ".join(
        f"{symbol}={float_point[symbol.name]!r}"
        for symbol, value in point.items()
        if rounded[symbol] != value
    )
    if within(autograd, at_rounded.value, tolerance):
        return (
            f"{dtype} rounding of the point explains the difference: autograd ran at {shifted},"
            f" where the exact derivative is {format_number(at_rounded.value)}"
        )
    return f"{dtype} rounding: autograd ran at {shifted}"


def cancelled_form_note(
    shown: str, derivative: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]
) -> str | None:
    """When the derivative as shown (a cancelled form) has a number where the one as written has none."""
    if shown == str(derivative):
        return None
    try:
        with time_budget(1.0):
            value = display_form(derivative).xreplace(dict(point))
            finite = value.is_number and value.is_finite and not value.has(sympy.nan, sympy.zoo)
    except (OutOfTimeError, ArithmeticError, TypeError, ValueError):
        return None
    if not finite:
        return None
    at = ", ".join(f"{symbol}={value_}" for symbol, value_ in point.items())
    return (
        f"the derivative shown, {shown}, is a cancelled form: it has a value at {at}, but it is not valid"
        " there, where the expression as written is undefined"
    )


def atol_only_note(autograd: float, exact: float, rel_error: float, tolerance: Tolerance) -> str:
    """Why a value that agrees by the absolute tolerance may still have no correct digit."""
    digits = (
        "not one digit is correct"
        if rel_error >= 0.5
        else f"about {max(0, math.floor(-math.log10(rel_error)))} digits are correct"
    )
    return (
        f"agrees only through atol ({tolerance.atol:g}): autograd {format_number(autograd)} against"
        f" {format_number(exact)} is a relative error of {rel_error:.3g}, above rtol ({tolerance.rtol:g});"
        f" {digits}"
    )


@dataclass(frozen=True, slots=True)
class Overflow:
    """The first subexpression, as written, whose exact value at the point is beyond the dtype's range."""

    text: str
    value: str


def first_overflow(
    parsed: ParsedExpression,
    symbols: Mapping[str, sympy.Symbol],
    point: Mapping[sympy.Symbol, sympy.Expr],
    dtype: str,
) -> Overflow | None:
    """The innermost subexpression of the expression as written that overflows the dtype at the point.

    Only asked where autograd is not finite but the exact derivative is, so
    the cost (a 30-digit value per node, under a time budget) is rare.
    """
    largest = _largest_finite(dtype)
    try:
        with time_budget(1.0):
            for node in post_order(parsed.tree):
                value = node_expression(node, symbols).xreplace(dict(point)).evalf(EVALF_DIGITS)
                if value.is_real and value.is_finite and abs(value) > largest:
                    return Overflow(text=node_text(node), value=_scientific(value))
    except (OutOfTimeError, ArithmeticError, TypeError, ValueError, DerivError):
        return None
    return None
