"""Whether factoring out common terms could shorten a sum's text, decided without trying.

A derivative is shown as the shortest of its own text and its rewrites, and
``factor_terms`` is the rewrite that costs most. For a sum of terms made of
an integer coefficient and powers of symbols and of sum-free function calls
(``15*x**4 + 9*x**2``, ``2*x - 6*sin(3*x)``), factoring can only take out the
coefficients' greatest common divisor and the powers common to every term.
The factored text then holds that factor, two parentheses and every term
with the factor taken out; counting only those characters gives a length it
cannot go below. When that is no shorter than the sum's own text, the sum's
own text is shown either way (it comes first among equals), and factoring is
not attempted. It can win, which is why it is not skipped for every
polynomial: ``100*x**9 + 200*x**8`` factors to ``100*x**8*(x + 2)``.

A term may also hold ``exp`` of a sum-free argument (as a base, while some
other term holds none, so that no power of e is common to every term), and
divide by one polynomial that factoring leaves as it is (a primitive
integer polynomial with a constant term, ``9*x**2 + 1``): the divisor is
then written as it stands. For such a sum, a polynomial plus a constant over
a polynomial (``3*x**2 + 27/(9*x**2 + 1)``, the derivative of
``x**3 + atan(3*x)``), the other rewrite, ``cancel``, writes one fraction
whose numerator has a term for each monomial of ``A*Q + c``; counting only
the monomials, the separators, the parentheses and the bar gives the length
it cannot go below either.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

import sympy

from derivcli.core.symbolic.plain_text import plain_text

#: A polynomial as the exponents of its symbols in each monomial, and that monomial's coefficient.
_Polynomial = dict[tuple[int, ...], Fraction]


def factoring_cannot_shorten(expr: sympy.Expr, length: int) -> bool:
    """True when ``factor_terms(expr)`` surely prints no shorter than ``length`` (expr's own text)."""
    if not expr.is_Add:
        return False
    coefficients: list[int] = []
    powers: list[dict[sympy.Expr, int]] = []
    divisors: list[int] = []
    for term in expr.args:
        monomial = _monomial(term)
        if monomial is None:
            return False
        coefficients.append(abs(monomial[0]))
        powers.append(monomial[1])
        divisors.append(monomial[2])
    if all(any(isinstance(base, sympy.exp) for base in bases) for bases in powers) or all(divisors):
        return False  # every term holds a power of e, or a divisor: factoring may take a common one out
    divisor = math.gcd(*coefficients)
    common = {base: min(bases[base] for bases in powers) for base in set(powers[0]).intersection(*powers[1:])}
    names = {base: len(plain_text(base)) for bases in powers for base in bases}
    # What factoring takes out: the divisor and each common power, each followed by "*"; then "(", ")".
    least = 2 + (len(str(divisor)) + 1 if divisor != 1 else 0)
    least += sum(_power_length(names[base], exponent) + 1 for base, exponent in common.items())
    # Every term with them taken out, and " + " or " - " between terms (a leading "-" is not counted).
    least += 3 * (len(powers) - 1)
    for coefficient, bases, below in zip(coefficients, powers, divisors, strict=True):
        least += _term_length(coefficient // divisor, bases, common, names) + below
    return least >= length


def _monomial(term: sympy.Expr) -> tuple[int, dict[sympy.Expr, int], int] | None:
    """An integer coefficient, each base's positive integer exponent, and the length of "/(divisor)".

    None for any other term. The divisor, when there is one, is a polynomial
    that factoring leaves as it is.
    """
    coefficient, rest = term.as_coeff_Mul()
    if not coefficient.is_Integer:
        return None
    bases: dict[sympy.Expr, int] = {}
    below = 0
    for factor in sympy.Mul.make_args(rest):
        if factor == 1:
            continue
        if isinstance(factor, sympy.exp):
            # exp(6*x) is a power of e to factoring: a base of its own, whose argument holds no sum.
            if factor.args[0].has(sympy.Add) or factor in bases:
                return None
            bases[factor] = 1
            continue
        base, exponent = factor.as_base_exp()
        if exponent == -1 and not below and _left_as_it_is(base):
            below = len(plain_text(base)) + 3  # "/(" and ")"
            continue
        if not (exponent.is_Integer and exponent > 0) or base in bases:
            return None
        # Factoring rewrites inside a function's arguments only where they hold a sum.
        if not (base.is_Symbol or (base.is_Function and not base.has(sympy.Add))):
            return None
        bases[base] = int(exponent)
    return int(coefficient), bases, below


def _left_as_it_is(divisor: sympy.Expr) -> bool:
    """True for a sum that factoring cannot change: integer monomials, coprime, a positive constant term."""
    symbols = _symbols(divisor)
    polynomial = _polynomial(divisor, symbols) if divisor.is_Add and symbols is not None else None
    if polynomial is None or any(value.denominator != 1 for value in polynomial.values()):
        return False
    constant = polynomial.get((0,) * len(symbols or ()), Fraction(0))
    return constant > 0 and math.gcd(*(int(value) for value in polynomial.values())) == 1


def _symbols(expr: sympy.Expr) -> tuple[sympy.Symbol, ...] | None:
    """The free symbols of ``expr`` in order of name; None when one is not a plain symbol."""
    symbols = tuple(sorted(expr.free_symbols, key=lambda symbol: str(symbol)))
    return symbols if all(isinstance(symbol, sympy.Symbol) for symbol in symbols) else None


def cancelling_cannot_shorten(expr: sympy.Expr, length: int) -> bool:
    """True when ``cancel(expr)`` surely prints no shorter than ``length``, for ``A + c/Q``.

    ``A`` is a polynomial, ``c`` a rational other than 0 and ``Q`` a
    polynomial sum, all in the same symbols: cancel writes ``P/Q`` (times a
    constant) with ``P`` proportional to ``A*Q + c``, whose common divisor
    with ``Q`` is that of ``c`` and ``Q``, a constant. False for any other
    sum.
    """
    if not expr.is_Add:
        return False
    symbols = _symbols(expr)
    if symbols is None:
        return False
    whole: _Polynomial = {}
    fraction: tuple[Fraction, _Polynomial] | None = None
    for term in expr.args:
        coefficient, rest = term.as_coeff_Mul()
        if not coefficient.is_Rational or coefficient == 0:
            return False
        value = Fraction(int(coefficient.p), int(coefficient.q))
        exponents = _exponents(rest, symbols)
        if exponents is not None:
            whole[exponents] = whole.get(exponents, Fraction(0)) + value
            continue
        base, exponent = rest.as_base_exp()
        divisor = _polynomial(base, symbols) if exponent == -1 and base.is_Add else None
        if divisor is None or fraction is not None or len(divisor) < 2:
            return False
        fraction = (value, divisor)
    if fraction is None:
        return False
    constant, divisor = fraction
    numerator = _product(whole, divisor)
    zero = (0,) * len(symbols)
    numerator[zero] = numerator.get(zero, Fraction(0)) + constant
    names = [len(symbol.name) for symbol in symbols]
    least = _sum_length(numerator, names) + 1 + _sum_length(divisor, names)
    return least >= length


def _exponents(monomial: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> tuple[int, ...] | None:
    """The exponent of each symbol in a product of positive whole powers of symbols (1 included)."""
    exponents = [0] * len(symbols)
    for factor in sympy.Mul.make_args(monomial):
        if factor == 1:
            continue
        base, exponent = factor.as_base_exp()
        if base not in symbols or not (exponent.is_Integer and exponent > 0):
            return None
        exponents[symbols.index(base)] += int(exponent)
    return tuple(exponents)


def _polynomial(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> _Polynomial | None:
    """A sum of rational multiples of monomials in ``symbols``, as a polynomial; None for anything else."""
    polynomial: _Polynomial = {}
    for term in sympy.Add.make_args(expr):
        coefficient, rest = term.as_coeff_Mul()
        exponents = _exponents(rest, symbols)
        if not coefficient.is_Rational or exponents is None:
            return None
        value = Fraction(int(coefficient.p), int(coefficient.q))
        polynomial[exponents] = polynomial.get(exponents, Fraction(0)) + value
    return {exponents: value for exponents, value in polynomial.items() if value}


def _product(first: _Polynomial, second: _Polynomial) -> _Polynomial:
    """The product of two polynomials (in the same symbols)."""
    product: _Polynomial = {}
    for left, a in first.items():
        for right, b in second.items():
            exponents = tuple(i + j for i, j in zip(left, right, strict=True))
            product[exponents] = product.get(exponents, Fraction(0)) + a * b
    return product


def _sum_length(polynomial: _Polynomial, names: Sequence[int]) -> int:
    """The least length of a polynomial's printed sum: each monomial, separators, parentheses if several."""
    monomials = [exponents for exponents, value in polynomial.items() if value]
    shown = sum(_monomial_length(exponents, names) for exponents in monomials) + 3 * (len(monomials) - 1)
    return shown + (2 if len(monomials) > 1 else 0)


def _monomial_length(exponents: tuple[int, ...], names: Sequence[int]) -> int:
    """The printed length of a monomial without its coefficient (a constant is at least one digit)."""
    pairs = zip(names, exponents, strict=True)
    parts = [_power_length(name, exponent) for name, exponent in pairs if exponent]
    return sum(parts) + len(parts) - 1 if parts else 1


def _term_length(
    coefficient: int,
    bases: Mapping[sympy.Expr, int],
    common: Mapping[sympy.Expr, int],
    names: Mapping[sympy.Expr, int],
) -> int:
    """The printed length of a term, its sign aside, once the common factor is taken out."""
    factors = [
        _power_length(names[base], exponent - common.get(base, 0))
        for base, exponent in bases.items()
        if exponent > common.get(base, 0)
    ]
    if not factors:
        return len(str(coefficient))
    shown = factors if coefficient == 1 else [len(str(coefficient)), *factors]
    return sum(shown) + len(shown) - 1


def _power_length(name: int, exponent: int) -> int:
    """The printed length of base**exponent, from the base's length: ``x``, ``x**3``."""
    return name if exponent == 1 else name + 2 + len(str(exponent))
