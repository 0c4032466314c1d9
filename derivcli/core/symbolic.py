"""The symbolic side: SymPy objects built from the parsed tree, derivatives, exact values.

SymPy objects are built node by node from :mod:`derivcli.parsing.tree` trees; no
text is ever handed to ``sympify``. Exact values at points are computed by
substitution and rounded from high precision, never through torch.
"""

from __future__ import annotations

import contextlib
import enum
import math
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

import mpmath
import sympy

from derivcli.core.activations import relu, sigmoid, softplus
from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.numbers import MAX_EXACT_BITS, too_large
from derivcli.parsing.points import Assignment, reanchor
from derivcli.parsing.tree import (
    Call,
    Constant,
    Negate,
    Node,
    Number,
    ParsedExpression,
    Power,
    Product,
    Sum,
    Variable,
)

#: Substituting into powers with larger integer exponents is done in high precision, not exactly.
MAX_EXACT_EXPONENT: Final = 10_000
# Exact integers up to MAX_EXACT_BITS (about 30,000 digits) must print; Python's
# default limit on int-to-text conversion is 4,300 digits.
if hasattr(sys, "set_int_max_str_digits") and 0 < sys.get_int_max_str_digits() < 40_000:
    sys.set_int_max_str_digits(40_000)

#: Decimal digits used for high-precision evaluation before rounding to float.
EVALF_DIGITS: Final = 30
#: Expressions with more operations than this are shown as ``diff`` returned them.
MAX_REWRITE_OPS: Final = 400
#: Rational functions with larger powers are not cancelled (cancel expands them).
MAX_CANCEL_EXPONENT: Final = 64
#: Time budget of the cheap rewriting, in seconds.
REWRITE_SECONDS: Final = 0.5
#: Distance from a kink at which one-sided derivatives are read, relative to the point.
ONE_SIDED_STEP: Final = sympy.Rational(1, 10**40)
#: Above this argument torch's softplus returns its argument unchanged.
SOFTPLUS_THRESHOLD: Final = 20
#: One-sided derivatives smaller than this are zero (60-digit rounding residue).
ONE_SIDED_ZERO: Final = sympy.Float("1e-30")
#: Longest time budget accepted (setitimer refuses very large values).
MAX_BUDGET_SECONDS: Final = 86_400.0


def _log(argument: sympy.Expr, base: sympy.Expr | None = None) -> sympy.Expr:
    """Natural logarithm, or logarithm to a base."""
    return sympy.log(argument) if base is None else sympy.log(argument, base)


#: How each known function of the parser becomes a SymPy object.
SYMPY_FUNCTIONS: Final[Mapping[str, Callable[..., sympy.Expr]]] = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "atan2": sympy.atan2,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "asinh": sympy.asinh,
    "acosh": sympy.acosh,
    "atanh": sympy.atanh,
    "exp": sympy.exp,
    "log": _log,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
    "erf": sympy.erf,
    "sigmoid": sigmoid,
    "relu": relu,
    "softplus": softplus,
    "min": sympy.Min,
    "max": sympy.Max,
    "heaviside": sympy.Heaviside,
}

#: Functions with a kink or jump where their argument is 0, by the name users write.
_KINK_FUNCTIONS: Final[Mapping[type, str]] = {
    sympy.Abs: "abs",
    relu: "relu",
    sympy.Heaviside: "heaviside",
    sympy.sign: "sign",
}


class ValueStatus(enum.StrEnum):
    """What kind of number an exact evaluation produced."""

    FINITE = "finite"
    INFINITE = "infinite"
    UNDEFINED = "undefined"
    NOT_REAL = "not-real"
    DIRAC_DELTA = "dirac-delta"
    OVERFLOW = "overflow"


@dataclass(frozen=True, slots=True)
class ExactValue:
    """An exact value (as SymPy prints it, or None when too large to form) and its float."""

    exact: str | None
    value: float
    status: ValueStatus
    high_precision: sympy.Expr | None


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


@dataclass(frozen=True, slots=True)
class SymbolicExpression:
    """A SymPy expression with its real symbols in the parser's order."""

    expr: sympy.Expr
    symbols: Mapping[str, sympy.Symbol]


def build(parsed: ParsedExpression, *, extra_variables: Sequence[str] = ()) -> SymbolicExpression:
    """Build the SymPy expression of a parsed tree; every variable is a real symbol."""
    names = list(parsed.variables) + [name for name in extra_variables if name not in parsed.variables]
    symbols = {name: sympy.Symbol(name, real=True) for name in names}
    expr = _to_sympy(parsed.tree, symbols, parsed.text)
    if expr.has(sympy.zoo, sympy.nan, sympy.oo):
        raise DerivError(ErrorKind.BAD_NUMBER, f"the expression is undefined: SymPy reads it as {expr}")
    if expr.has(sympy.I):
        # A constant such as sqrt(-1) or log(-2) makes every value complex.
        raise DerivError(ErrorKind.BAD_NUMBER, f"the expression is not real: SymPy reads it as {expr}")
    return SymbolicExpression(expr=expr, symbols=symbols)


def constant(parsed: ParsedExpression) -> sympy.Expr:
    """The exact SymPy value of a constant expression such as ``pi/4``."""
    return _to_sympy(parsed.tree, {}, parsed.text)


def tree_value(node: Node) -> sympy.Expr:
    """The exact SymPy value of a parse tree without variables."""
    return _to_sympy(node, {}, "")


def node_expression(node: Node, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """The SymPy expression of a (sub)tree whose variables are all in ``symbols``."""
    return _to_sympy(node, symbols, "")


def _to_sympy(node: Node, symbols: Mapping[str, sympy.Symbol], text: str) -> sympy.Expr:
    """Convert one tree node into SymPy, refusing exact numbers too large to hold."""
    if isinstance(node, Number):
        return sympy.Rational(node.value.numerator, node.value.denominator)
    if isinstance(node, Constant):
        return sympy.pi if node.name == "pi" else sympy.E
    if isinstance(node, Variable):
        return symbols[node.name]
    if isinstance(node, Negate):
        return -_to_sympy(node.operand, symbols, text)
    if isinstance(node, Sum):
        terms = [_to_sympy(term, symbols, text) for _, term in node.terms]
        return sympy.Add(
            *[-term if negative else term for (negative, _), term in zip(node.terms, terms, strict=True)]
        )
    if isinstance(node, Product):
        factors = [_to_sympy(factor, symbols, text) for _, factor in node.factors]
        for (divide, item), factor in zip(node.factors, factors, strict=True):
            if divide and factor.is_zero:
                raise DerivError(ErrorKind.BAD_NUMBER, "division by zero", source=text, column=item.column)
        return sympy.Mul(
            *[
                1 / factor if divide else factor
                for (divide, _), factor in zip(node.factors, factors, strict=True)
            ]
        )
    if isinstance(node, Power):
        base = _to_sympy(node.base, symbols, text)
        exponent = _to_sympy(node.exponent, symbols, text)
        _check_power_size(base, exponent, node, text)
        if base.is_zero and exponent.is_extended_negative:
            message = "division by zero (0 to a negative power)"
            raise DerivError(ErrorKind.BAD_NUMBER, message, source=text, column=node.column)
        return sympy.Pow(base, exponent)
    if isinstance(node, Call):
        args = [_to_sympy(arg, symbols, text) for arg in node.args]
        base = args[1] if node.name == "log" and len(args) == 2 else None
        if base is not None and not base.free_symbols and (base.is_positive is not True or base == 1):
            raise DerivError(
                ErrorKind.BAD_NUMBER,
                f"the base of a logarithm must be positive and not 1, got {args[1]}",
                source=text,
                column=node.args[1].column,
            )
        try:
            return SYMPY_FUNCTIONS[node.name](*args)
        except (ValueError, TypeError) as error:
            # max(x, sqrt(-1)): SymPy cannot order a complex argument.
            raise DerivError(
                ErrorKind.BAD_NUMBER,
                f"{node.name} cannot take these arguments: {error}",
                source=text,
                column=node.column,
            ) from None
    raise AssertionError(f"unhandled node {node!r}")


def _check_power_size(base: sympy.Expr, exponent: sympy.Expr, node: Power, text: str) -> None:
    """Refuse constant powers whose exact value would be gigantic (``9**9**9``)."""
    if not exponent.is_Rational or base.free_symbols:
        return
    if base in (sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne):
        return
    estimated_bits = float(abs(exponent)) * _constant_bits(base)
    if estimated_bits > MAX_EXACT_BITS:
        raise too_large(node.text, estimated_bits, source=text, column=node.column)


def _constant_bits(value: sympy.Expr) -> float:
    """About how many bits one factor of ``value`` adds to an exact power of it (at least 1)."""
    if value.is_Rational:
        return max(1.0, math.log2(max(abs(value.p), value.q)))
    largest = 2
    for atom in value.atoms(sympy.Rational):
        largest = max(largest, abs(atom.p).bit_length(), abs(atom.q).bit_length())
    return float(largest)


def differentiate(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """The exact symbolic derivative."""
    return sympy.diff(expr, symbol)


def display_form(derivative: sympy.Expr) -> sympy.Expr:
    """A cheap, size-bounded rewrite for showing a derivative; never longer than the input.

    Full ``simplify`` can take minutes; these rewrites take milliseconds.
    """
    candidates = _display_candidates(derivative)
    return min(candidates, key=lambda candidate: len(str(candidate)))


def display_text(derivative: sympy.Expr) -> str:
    """The text of :func:`display_form`, printing each candidate once (printing is SymPy's slow part)."""
    return min((str(candidate) for candidate in _display_candidates(derivative)), key=len)


def _display_candidates(derivative: sympy.Expr) -> list[sympy.Expr]:
    """The derivative and its cheap rewrites, without repeats."""
    if sympy.count_ops(derivative) > MAX_REWRITE_OPS:
        return [derivative]
    candidates = [derivative]
    try:
        with _time_budget(REWRITE_SECONDS):
            candidates.append(sympy.factor_terms(derivative))
            # cancel expands powers: (x+1)**20000 would take minutes; without a
            # denominator there is nothing to cancel.
            if (
                _has_denominator(derivative)
                and derivative.is_rational_function()
                and _largest_exponent(derivative) <= MAX_CANCEL_EXPONENT
            ):
                candidates.append(sympy.cancel(derivative))
    except _OutOfTimeError:
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


class _OutOfTimeError(BaseException):
    """Raised inside SymPy when a time budget runs out.

    A BaseException, so that SymPy's own ``except Exception`` clauses do not
    swallow it.
    """


@contextlib.contextmanager
def _time_budget(seconds: float) -> Iterator[None]:
    """Interrupt Python-level work after ``seconds`` (main thread on POSIX only).

    The alarm repeats every 50 ms until the block is left, in case a library
    swallows the first one; alarms arriving after the block has ended are ignored.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return
    active = [True]

    def on_alarm(signum: int, frame: object) -> None:
        if active[0]:
            raise _OutOfTimeError

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, MAX_BUDGET_SECONDS), 0.05)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def simplify_within(expr: sympy.Expr, seconds: float) -> sympy.Expr | None:
    """``sympy.simplify`` under a time budget; None when it ran out of time."""
    try:
        with _time_budget(seconds):
            simplified = sympy.simplify(expr)
    except _OutOfTimeError:
        return None
    return simplified if len(str(simplified)) <= len(str(expr)) else expr


def point_value(assignment: Assignment, *, name: str) -> sympy.Expr:
    """The exact value of a point's coordinate: a finite real number that float64 can hold."""
    try:
        value = constant(assignment.value)
    except DerivError as error:
        raise reanchor(
            error, spec=assignment.spec, offset=assignment.offset, option=assignment.option
        ) from None
    if value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise assignment.refuse(ErrorKind.BAD_NUMBER, name, "is not a finite number")
    approx = value.evalf(EVALF_DIGITS)
    real, imaginary = approx.as_real_imag()
    if imaginary != 0 or not real.is_Number:
        raise assignment.refuse(ErrorKind.BAD_POINT, name, "is not a real number")
    if not math.isfinite(float(real)):
        raise assignment.refuse(ErrorKind.BAD_NUMBER, name, "overflows float64")
    return value


def round_to_bits(value: sympy.Expr, bits: int) -> float:
    """Round an exact real value to the nearest float with ``bits`` of mantissa (53 or 24).

    Rounding once from high precision avoids the double rounding of going
    through float64 on the way to float32.
    """
    approx = sympy.Float(value.evalf(EVALF_DIGITS), EVALF_DIGITS)
    with mpmath.workprec(bits):
        rounded = +mpmath.mpf(approx._mpf_)
    return float(rounded)


def to_dtype(value: sympy.Expr, dtype: str) -> float:
    """The nearest float32 or float64 to an exact real value (inf when out of range), as a Python float."""
    if dtype == "float64":
        return round_to_bits(value, 53)
    nearest = round_to_bits(value, 24)
    try:
        # Packing applies float32's exponent range: overflow raises, tiny values go subnormal or 0.
        return float(struct.unpack("f", struct.pack("f", nearest))[0])
    except OverflowError:
        return math.copysign(math.inf, nearest)


def rational_of_float(number: float) -> sympy.Rational:
    """The exact rational value of a float."""
    fraction = Fraction(number)
    return sympy.Rational(fraction.numerator, fraction.denominator)


def evaluate_at(expr: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]) -> ExactValue:
    """The exact value of ``expr`` at ``point`` and its correctly rounded float64."""
    if _has_huge_power(expr):
        # 3**(10**10) has billions of digits: evaluate in high precision instead.
        approx = expr.evalf(EVALF_DIGITS, subs=dict(point))
        return _classify(approx, exact=None)
    try:
        exact = expr.xreplace(dict(point))
    except (ValueError, TypeError):
        # max(1, (-2)**0.5): SymPy refuses to order a complex argument.
        return ExactValue(None, math.nan, ValueStatus.NOT_REAL, None)
    return _classify(exact, exact=str(exact))


def _has_huge_power(expr: sympy.Expr) -> bool:
    """True when substituting numbers would build an enormous exact power."""
    return any(
        power.exp.is_Rational and abs(power.exp) > MAX_EXACT_EXPONENT and power.base.free_symbols
        for power in expr.atoms(sympy.Pow)
    )


def numeric_value(value: sympy.Expr) -> sympy.Expr:
    """A constant in 30 digits; a sum that cancels to exactly 0 is 0, not rounding noise.

    evalf cannot always tell that sin(1)**2 + cos(1)**2 - 1 is zero: it
    returns a tiny number with no correct digit. strict evaluation detects
    that, and a bounded simplify then decides.
    """
    try:
        # strict evaluation may raise precision a long way on a complex value: bound it too.
        with _time_budget(1.0):
            return value.evalf(EVALF_DIGITS, strict=True)
    except sympy.core.evalf.PrecisionExhausted:
        try:
            with _time_budget(1.0):
                if sympy.simplify(value) == 0:
                    return sympy.Float(0)
        except _OutOfTimeError:
            pass
    except _OutOfTimeError:
        pass
    return value.evalf(EVALF_DIGITS)


def real_and_imaginary(value: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """30-digit real and imaginary parts of a constant, or None when they take too long.

    Splitting an unevaluated complex power can send SymPy into simplify
    for minutes, hence the budget.
    """
    number = numeric_value(value)
    try:
        with _time_budget(1.0):
            real, imaginary = number.as_real_imag()
    except _OutOfTimeError:
        return None
    return real, imaginary


def _classify(value: sympy.Expr, *, exact: str | None) -> ExactValue:
    """Sort an evaluated expression into finite, infinite, undefined, complex or delta."""
    if value.is_Rational:
        # The common case (a polynomial at a rational point): exact, and Python rounds p/q correctly.
        try:
            return ExactValue(exact, value.p / value.q, ValueStatus.FINITE, value)
        except OverflowError:
            pass
    if value.has(sympy.nan):
        return ExactValue(exact, math.nan, ValueStatus.UNDEFINED, None)
    if value == sympy.oo:
        return ExactValue(exact, math.inf, ValueStatus.INFINITE, None)
    if value == -sympy.oo:
        return ExactValue(exact, -math.inf, ValueStatus.INFINITE, None)
    if value.has(sympy.zoo, sympy.oo):
        return ExactValue(exact, math.nan, ValueStatus.INFINITE, None)
    if value.has(sympy.DiracDelta):
        return ExactValue(exact, math.nan, ValueStatus.DIRAC_DELTA, None)
    parts = real_and_imaginary(value)
    if parts is None:
        return ExactValue(exact, math.nan, ValueStatus.UNDEFINED, None)
    real, imaginary = parts
    if imaginary != 0 and not (
        imaginary.is_Number and real.is_Number and abs(imaginary) <= abs(real) * 1e-25
    ):
        return ExactValue(exact, math.nan, ValueStatus.NOT_REAL, None)
    if not real.is_Number:
        return ExactValue(exact, math.nan, ValueStatus.UNDEFINED, None)
    as_float = float(real)
    # A finite number beyond float64's range rounds to an infinity, but is not infinite.
    status = ValueStatus.FINITE if math.isfinite(as_float) else ValueStatus.OVERFLOW
    return ExactValue(exact, as_float, status, real)


def analyse_point(
    expr: sympy.Expr,
    derivative: sympy.Expr,
    variable: sympy.Symbol,
    point: Mapping[sympy.Symbol, sympy.Expr],
) -> tuple[Finding, ...]:
    """Find kinks, jumps and domain edges of ``expr`` at ``point`` that involve ``variable``."""
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for sub in sympy.preorder_traversal(expr):
        if not isinstance(sub, sympy.Basic) or variable not in sub.free_symbols:
            continue
        try:
            finding = _special_at(sub, point)
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
            return Finding("domain", "sqrt" if exponent == sympy.S.Half else "power", str(base))
        return None
    return _inverse_function_edge(sub, point)


def _inverse_function_edge(sub: sympy.Basic, point: Mapping[sympy.Symbol, sympy.Expr]) -> Finding | None:
    """Domain edges of asin, acos, acosh and atanh."""
    func = type(sub)
    if func not in (sympy.asin, sympy.acos, sympy.acosh, sympy.atanh):
        return None
    value = sub.args[0].xreplace(dict(point))
    approx = value.evalf(EVALF_DIGITS)
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
        with _time_budget(1.0):
            return 0 if sympy.simplify(value) == 0 else None
    except _OutOfTimeError:
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
            with _time_budget(2.0):
                value = derivative.evalf(60, subs=shifted)
        except (_OutOfTimeError, TypeError, ValueError):
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
