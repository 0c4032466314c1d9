"""A rational point substituted into an expression: ``xreplace``'s result, its rational parts in fractions.

``expr.xreplace(point)`` rebuilds every node that holds a variable, and
SymPy's constructors evaluate each: ``3*x`` at ``x = 151/250`` is a ``Mul``
of two rationals that SymPy multiplies, ``x**2`` a ``Pow`` it raises. A node
made only of rationals and the point's variables, by sums, products and
whole powers, is a rational there: here it is computed as a numerator and
a denominator in Python's integers, reduced once, when SymPy's ``Rational``
is made of them (a sum of two fractions whose denominators divide one
another takes the larger one, so a polynomial's stay powers of the
point's). The other nodes (functions, other powers, constants such as pi)
are rebuilt by SymPy from their substituted arguments as ``xreplace``
rebuilds them, the rational arguments of a sum or a product added or
multiplied first, as SymPy's sum and product would. The result is the
same expression; a plan of which node is which is made once per expression.

A sum or product of two arguments in the commonest shape, a rational and an
elementary function of one argument (``2*cos(369/250)``, or
``15129/62500 + 2*cos(369/250)``), is put together directly in the order
SymPy's own evaluation gives it, without SymPy sorting and collecting its
terms again; a property test checks it against SymPy's result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import sympy

from derivcli.worker.cache import sized_cache

#: What one expression's plan counts for in the cache.
PLAN_WEIGHT: Final = 100

#: A rational as a numerator and a positive denominator, not necessarily in lowest terms.
_Pair = tuple[int, int]
_Values = Mapping[sympy.Symbol, _Pair]
_Exact = Callable[[_Values], _Pair]


@dataclass(frozen=True, slots=True)
class _Kept:
    """A node that holds no variable of the point: xreplace keeps it as it is."""

    node: object


@dataclass(frozen=True, slots=True)
class _Rebuilt:
    """A node rebuilt by SymPy: its rational arguments combined in one fraction, then the others."""

    node: sympy.Basic
    rational: _Exact | None
    others: tuple[_Plan, ...]


_Plan = _Kept | _Rebuilt | _Exact


def substituted_exactly(expr: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]) -> sympy.Expr:
    """``expr.xreplace(point)``: the same expression, made faster where the point is rational."""
    if not all(value.is_Rational for value in point.values()):
        return expr.xreplace(dict(point))
    values = {symbol: (int(value.p), int(value.q)) for symbol, value in point.items()}
    try:
        return _run(_plan(expr, frozenset(point)), values)
    except ZeroDivisionError:
        return expr.xreplace(dict(point))  # x**-1 at 0: SymPy's complex infinity, and what it makes


def _run(plan: _Plan, values: _Values) -> object:
    """A plan's node at the point."""
    if isinstance(plan, _Rebuilt):
        arguments = [_run(other, values) for other in plan.others]
        if plan.rational is not None:
            arguments.insert(0, _rational(plan.rational(values)))
        return _built(plan.node.func, arguments)
    if isinstance(plan, _Kept):
        return plan.node
    return _rational(plan(values))


#: Elementary functions that SymPy's product and sum treat as one plain commutative factor or term.
_PLAIN_FUNCTIONS: Final = frozenset(
    {
        sympy.sin,
        sympy.cos,
        sympy.tan,
        sympy.sinh,
        sympy.cosh,
        sympy.tanh,
        sympy.asin,
        sympy.acos,
        sympy.atan,
        sympy.asinh,
        sympy.log,
        sympy.exp,
    }
)


def _built(function: type, arguments: list[object]) -> object:
    """``function(*arguments)``; a rational and a plain function's value summed or multiplied directly."""
    if len(arguments) == 2 and (function is sympy.Mul or function is sympy.Add):
        number, other = arguments
        if isinstance(number, sympy.Rational) and number is not sympy.S.Zero:
            if function is sympy.Mul and number is not sympy.S.One and _is_plain_call(other):
                return sympy.Mul._from_args((number, other), is_commutative=True)
            if function is sympy.Add and (_is_plain_call(other) or _is_plain_multiple(other)):
                return sympy.Add._from_args((number, other), is_commutative=True)
    return function(*arguments)


def _is_plain_call(value: object) -> bool:
    """A call of one of the plain functions on a commutative argument."""
    return type(value) in _PLAIN_FUNCTIONS and bool(value.is_commutative)  # type: ignore[attr-defined]


def _is_plain_multiple(value: object) -> bool:
    """A product of a rational and a plain call, the rational first, as SymPy's product writes it."""
    if not isinstance(value, sympy.Mul) or len(value.args) != 2:
        return False
    number, call = value.args
    return isinstance(number, sympy.Rational) and _is_plain_call(call)


def _rational(value: _Pair) -> sympy.Rational:
    """SymPy's rational of a pair (its denominator positive), reduced to lowest terms."""
    numerator, denominator = value
    divisor = math.gcd(numerator, denominator)
    if divisor > 1:
        numerator //= divisor
        denominator //= divisor
    # SymPy's own way to make a rational of coprime integers: without Rational()'s cache and conversions.
    return _FROM_COPRIME(numerator, denominator)


#: ``Rational.from_coprime_ints`` (an integer, or SymPy's 1/2, where it is one); ``Rational`` before 1.13.
_FROM_COPRIME: Final[Callable[[int, int], sympy.Rational]] = getattr(
    sympy.Rational, "from_coprime_ints", sympy.Rational
)


@sized_cache(lambda *_: PLAN_WEIGHT)
def _plan(expr: sympy.Expr, variables: frozenset[sympy.Symbol]) -> _Plan:
    """Which nodes of ``expr`` are kept, computed in fractions, or rebuilt (cached per expression)."""
    return _planned(expr, variables)


def _planned(node: object, variables: frozenset[sympy.Symbol]) -> _Plan:
    if not isinstance(node, sympy.Basic):
        return _Kept(node)  # not SymPy's: xreplace keeps it
    if node in variables:
        return _variable(node)
    # Every symbol, bound ones included (xreplace replaces those too): then no exact node is missed.
    if not node.args or variables.isdisjoint(node.atoms(sympy.Symbol)):
        return _Kept(node)
    exact = _exact(node, variables)
    if exact is not None:
        return exact
    parts = [_planned(argument, variables) for argument in node.args]
    if (node.is_Add or node.is_Mul) and any(_is_exact(part) for part in parts):
        # SymPy's sum adds its rational terms into one, and its product multiplies its rational factors:
        # those that hold a variable, and the constant ones with them.
        rational = [
            _constant(argument) if isinstance(part, _Kept) and argument.is_Rational else part
            for argument, part in zip(node.args, parts, strict=True)
        ]
        combined = [part for part in rational if _is_exact(part)]
        others = tuple(part for part in rational if not _is_exact(part))
        return _Rebuilt(node, _sum(combined) if node.is_Add else _product(combined), others)  # type: ignore[arg-type]
    return _Rebuilt(node, None, tuple(parts))


def _is_exact(part: _Plan) -> bool:
    return not isinstance(part, (_Kept, _Rebuilt))


def _exact(node: sympy.Basic, variables: frozenset[sympy.Symbol]) -> _Exact | None:
    """A fraction-valued function for a node of rationals and variables, sums, products, whole powers."""
    if node in variables:
        return _variable(node)
    if node.is_Rational:
        return _constant(node)
    if node.is_Pow and node.exp.is_Integer:
        base = _exact(node.base, variables)
        if base is None:
            return None
        return _power(base, int(node.exp))
    if node.is_Add or node.is_Mul:
        parts = [_exact(argument, variables) for argument in node.args]
        if any(part is None for part in parts):
            return None
        return _sum(parts) if node.is_Add else _product(parts)  # type: ignore[arg-type]
    return None


def _constant(number: sympy.Rational) -> _Exact:
    constant = (int(number.p), int(number.q))
    return lambda values: constant


def _variable(symbol: sympy.Symbol) -> _Exact:
    return lambda values: values[symbol]


def _power(base: _Exact, exponent: int) -> _Exact:
    def power(values: _Values) -> _Pair:
        numerator, denominator = base(values)
        if exponent >= 0:
            return numerator**exponent, denominator**exponent
        if not numerator:
            # x**-1 at 0: substituted_exactly leaves it to xreplace, which makes SymPy's complex infinity.
            raise ZeroDivisionError("a negative power of zero")
        numerator, denominator = denominator ** (-exponent), numerator ** (-exponent)
        return (-numerator, -denominator) if denominator < 0 else (numerator, denominator)

    return power


def _sum(parts: Sequence[_Exact]) -> _Exact:
    def total(values: _Values) -> _Pair:
        numerator, denominator = parts[0](values)
        for part in parts[1:]:
            other, below = part(values)
            if below == denominator:
                numerator += other
            elif denominator % below == 0:
                numerator += other * (denominator // below)
            elif below % denominator == 0:
                numerator = numerator * (below // denominator) + other
                denominator = below
            else:
                numerator, denominator = numerator * below + other * denominator, denominator * below
        return numerator, denominator

    return total


def _product(parts: Sequence[_Exact]) -> _Exact:
    def product(values: _Values) -> _Pair:
        numerator, denominator = parts[0](values)
        for part in parts[1:]:
            other, below = part(values)
            numerator, denominator = numerator * other, denominator * below
        return numerator, denominator

    return product
