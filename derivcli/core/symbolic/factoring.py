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
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import sympy


def factoring_cannot_shorten(expr: sympy.Expr, length: int) -> bool:
    """True when ``factor_terms(expr)`` surely prints no shorter than ``length`` (expr's own text)."""
    if not expr.is_Add:
        return False
    coefficients: list[int] = []
    powers: list[dict[sympy.Expr, int]] = []
    for term in expr.args:
        monomial = _monomial(term)
        if monomial is None:
            return False
        coefficients.append(abs(monomial[0]))
        powers.append(monomial[1])
    divisor = math.gcd(*coefficients)
    common = {base: min(bases[base] for bases in powers) for base in set(powers[0]).intersection(*powers[1:])}
    names = {base: len(str(base)) for bases in powers for base in bases}
    # What factoring takes out: the divisor and each common power, each followed by "*"; then "(", ")".
    least = 2 + (len(str(divisor)) + 1 if divisor != 1 else 0)
    least += sum(_power_length(names[base], exponent) + 1 for base, exponent in common.items())
    # Every term with them taken out, and " + " or " - " between terms (a leading "-" is not counted).
    least += 3 * (len(powers) - 1)
    for coefficient, bases in zip(coefficients, powers, strict=True):
        least += _term_length(coefficient // divisor, bases, common, names)
    return least >= length


def _monomial(term: sympy.Expr) -> tuple[int, dict[sympy.Expr, int]] | None:
    """An integer coefficient and each base's positive integer exponent; None for any other term."""
    coefficient, rest = term.as_coeff_Mul()
    if not coefficient.is_Integer:
        return None
    bases: dict[sympy.Expr, int] = {}
    for factor in sympy.Mul.make_args(rest):
        if factor == 1:
            continue
        base, exponent = factor.as_base_exp()
        if not (exponent.is_Integer and exponent > 0) or base in bases:
            return None
        # Factoring rewrites inside a function's arguments only where they hold a sum.
        if not (base.is_Symbol or (base.is_Function and not base.has(sympy.Add))):
            return None
        bases[base] = int(exponent)
    return int(coefficient), bases


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
