"""Exact references at many points: a SymPy expression evaluated by mpmath, precision raised until stable.

SymPy's ``evalf`` costs about a millisecond a point; walking the expression
once per point with mpmath costs a tenth of that, which a grid of thousands
of points needs. A value counts when its rounding to the dtype is the same at
twice the precision; otherwise the precision doubles again.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping
from typing import Any, Final

import mpmath
import sympy
from sympy.codegen.cfunctions import expm1, hypot, log1p
from sympy.codegen.numpy_nodes import logaddexp

from derivcli.core.activations import logsigmoid, relu, sigmoid, softplus
from derivcli.core.realroot import root
from derivcli.model.setup import DType

#: Precision doublings tried before a point's reference is given up (its bits are then not counted).
MAX_DOUBLINGS: Final = 4


def _heaviside(x: Any, at_zero: Any = None) -> Any:
    if x == 0:
        return mpmath.mpf(0.5) if at_zero is None else at_zero
    return mpmath.mpf(1) if x > 0 else mpmath.mpf(0)


def _logaddexp(a: Any, b: Any) -> Any:
    high = max(a, b)
    return high + mpmath.log1p(mpmath.exp(-abs(a - b)))


#: SymPy heads and the mpmath functions that compute them.
FUNCTIONS: Final[Mapping[type, Callable[..., Any]]] = {
    sympy.sin: mpmath.sin,
    sympy.cos: mpmath.cos,
    sympy.tan: mpmath.tan,
    sympy.asin: mpmath.asin,
    sympy.acos: mpmath.acos,
    sympy.atan: mpmath.atan,
    sympy.sinh: mpmath.sinh,
    sympy.cosh: mpmath.cosh,
    sympy.tanh: mpmath.tanh,
    sympy.asinh: mpmath.asinh,
    sympy.acosh: mpmath.acosh,
    sympy.atanh: mpmath.atanh,
    sympy.exp: mpmath.exp,
    sympy.log: mpmath.log,
    sympy.Abs: abs,
    sympy.sign: mpmath.sign,
    sympy.erf: mpmath.erf,
    sympy.atan2: mpmath.atan2,
    sympy.Heaviside: _heaviside,
    sympy.DiracDelta: lambda x: mpmath.inf if x == 0 else mpmath.mpf(0),
    sympy.Max: max,
    sympy.Min: min,
    sigmoid: lambda x: 1 / (1 + mpmath.exp(-x)),
    relu: lambda x: max(mpmath.mpf(0), x),
    softplus: lambda x: mpmath.log1p(mpmath.exp(x)),
    logsigmoid: lambda x: -mpmath.log1p(mpmath.exp(-x)),
    log1p: mpmath.log1p,
    expm1: mpmath.expm1,
    hypot: mpmath.hypot,
    logaddexp: _logaddexp,
    sympy.sec: mpmath.sec,
    sympy.csc: mpmath.csc,
    sympy.cot: mpmath.cot,
    sympy.asec: mpmath.asec,
    sympy.acsc: mpmath.acsc,
    sympy.acot: mpmath.acot,
    sympy.sech: mpmath.sech,
    sympy.csch: mpmath.csch,
    sympy.coth: mpmath.coth,
    root: lambda x, n: mpmath.sign(x) * abs(x) ** (1 / n),
}


class UnknownHeadError(Exception):
    """The expression has a head this evaluator does not know."""


class CancelledError(Exception):
    """A sum cancelled more digits than the working precision holds: raise the precision."""


def evaluate(expr: sympy.Expr, point: Mapping[sympy.Symbol, float], *, needed: int = 0) -> Any:
    """``expr`` at ``point`` in mpmath at the current working precision (mpc when not real).

    With ``needed``, a sum that keeps fewer than ``needed`` bits of its largest
    term's precision raises :class:`CancelledError`, so that a caller can retry
    with more: a fixed precision cannot see that log(2) - log(2) + 1e-185 lost
    everything, and would settle on 0.
    """
    if isinstance(expr, sympy.Symbol):
        return mpmath.mpf(point[expr])
    if expr.is_Integer:
        return mpmath.mpf(int(expr))
    if expr.is_Rational:
        return mpmath.mpf(int(expr.p)) / int(expr.q)
    if expr.is_Float:
        return mpmath.mpf(expr._mpf_)
    if expr is sympy.pi:
        return +mpmath.pi
    if expr is sympy.E:
        return +mpmath.e
    args = [evaluate(arg, point, needed=needed) for arg in expr.args]
    if expr.is_Add:
        total = mpmath.fsum(args)
        largest = max(abs(arg) for arg in args)
        if needed and largest and abs(total) < largest * mpmath.ldexp(1, needed - mpmath.mp.prec):
            raise CancelledError
        return total
    if expr.is_Mul:
        return mpmath.fprod(args)
    if expr.is_Pow:
        base, exponent = args
        return mpmath.power(base, exponent)
    function = FUNCTIONS.get(type(expr))
    if function is None:
        raise UnknownHeadError(type(expr).__name__)
    return function(*args)


def rounded(value: Any, dtype: str) -> float | None:
    """An mpmath value rounded once to the dtype (inf beyond its range); None when not a real number.

    mpmath's exponents are unbounded, so an infinite mpmath value is a true
    infinity, and a finite one beyond the dtype's range rounds to inf.
    """
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            return None
        value = value.real
    if mpmath.isnan(value):
        return None
    if mpmath.isinf(value):
        return math.inf if value > 0 else -math.inf
    with mpmath.workprec(DType(dtype).significand_bits):
        nearest = float(+value)
    if DType(dtype) is DType.float64:
        return nearest
    try:
        return float(struct.unpack("f", struct.pack("f", nearest))[0])
    except OverflowError:
        return math.copysign(math.inf, nearest)


def reference(expr: sympy.Expr, point: Mapping[sympy.Symbol, float], dtype: str) -> tuple[float, bool] | None:
    """The exact value at the point rounded once to the dtype, and whether it is a number (not infinite).

    None when it is not a real number, is undefined, or will not settle.
    """
    needed = DType(dtype).significand_bits + 20
    precision = 2 * needed
    previous: float | None = None
    for attempt in range(MAX_DOUBLINGS + 1):
        last = attempt == MAX_DOUBLINGS
        try:
            with mpmath.workprec(precision):
                # At the last precision a sum that still cancels to nothing is taken to be 0.
                value = evaluate(expr, point, needed=0 if last else needed)
                current = rounded(value, dtype)
                decided = current is not None and _decided(value, dtype, precision // 2)
        except CancelledError:
            precision *= 2
            continue
        except (ZeroDivisionError, ValueError, OverflowError, TypeError, UnknownHeadError):
            return None
        if current is None:
            return None
        # A 0 at two precisions is no proof: log(1 + x**2) is 0 until 1 + x**2 is held exactly. Nor is
        # the same rounding twice, for a value within 1e-170 of halfway between two floats
        # (atan(x/2) + x at x = 2.3e-85): it must also hold for every number near the value.
        if last or (previous is not None and current == previous and current != 0 and decided):
            return current, not (isinstance(value, mpmath.mpf) and mpmath.isinf(value))
        previous = current
        precision *= 2
    return None


def _decided(value: Any, dtype: str, bits: int) -> bool:
    """True when every number within 2**-bits of the value, relatively, rounds to the same float."""
    if isinstance(value, mpmath.mpc):
        value = value.real
    if not mpmath.isfinite(value):
        return True
    margin = abs(value) * mpmath.ldexp(1, -bits)
    return rounded(value - margin, dtype) == rounded(value + margin, dtype)
