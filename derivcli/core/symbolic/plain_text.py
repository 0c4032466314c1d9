"""The text of a plain sum, as SymPy's printer writes it, its terms written here directly.

Printing a new expression costs more than differentiating it: for each term
SymPy's printer sorts the factors by their sort keys and walks a printer
method per node. A plain term (a rational times powers of symbols and at
most one function of a plain argument: ``6*x**2*sin(3*x)``, ``-x/2``,
``5*exp(5*x)``) is written here by the same rules. The terms keep SymPy's
order, which ``as_ordered_terms`` gives, as the printer takes it; anything
else goes through the printer. Either way the text is SymPy's, character
for character.
"""

from __future__ import annotations

import sympy

from derivcli.core.symbolic.constant_text import printed_by_name, rational_text, sum_text


def plain_text(expr: sympy.Expr) -> str:
    """``str(expr)``, written directly when every term of the sum is plain."""
    if expr.is_Add:
        texts = {term: _term_text(term) for term in expr.args}
        if all(text is not None for text in texts.values()):
            return sum_text([texts[term] for term in expr.as_ordered_terms()])
    else:
        text = _term_text(expr)
        if text is not None:
            return text
    return str(expr)


def _term_text(term: sympy.Expr) -> str | None:
    """StrPrinter's text of a plain term, or None for any other."""
    if term.is_Rational:
        return rational_text(term)
    if term.is_Pow and term.exp.is_Integer and term.exp.p < 0:
        # _print_Pow, not _print_Mul: 1/x, but x**(-2).
        base = _base_text(term.base)
        if base is None:
            return None
        return f"1/{base}" if term.exp.p == -1 else f"{base}**({term.exp.p})"
    coefficient, rest = term.as_coeff_Mul()
    if not coefficient.is_Rational:
        return None
    factors = _factor_texts(sympy.Mul.make_args(rest))
    if factors is None:
        return None
    above, below = factors
    # _print_Mul: the sign; the numerator's integer unless it is 1, then the factors above the bar
    # ("1" if none); the denominator's integer unless it is 1, then the divisors; several in parentheses.
    numerator, denominator = abs(int(coefficient.p)), int(coefficient.q)
    above = ([str(numerator)] if numerator != 1 else []) + above
    below = ([str(denominator)] if denominator != 1 else []) + below
    shown = "*".join(above) or "1"
    if len(below) > 1:
        shown += "/(" + "*".join(below) + ")"
    elif below:
        shown += "/" + below[0]
    return f"-{shown}" if coefficient.p < 0 else shown


def _factor_texts(factors: tuple[sympy.Expr, ...]) -> tuple[list[str], list[str]] | None:
    """The texts of a product's factors above and below the bar, in as_ordered_factors's order.

    Above: symbols' powers sorted by name (a power sorts by its base, and
    every symbol's class before any other), then at most one other factor (a
    call, or a sum in parentheses), each raised to a whole power. Below: at
    most one divisor, a symbol's or a sum's power. None for anything else,
    or for two symbols of one name.
    """
    symbols: list[tuple[str, str]] = []
    others: list[str] = []
    below: list[str] = []
    for factor in factors:
        base, exponent = (factor.base, factor.exp) if factor.is_Pow else (factor, sympy.S.One)
        if not exponent.is_Integer or exponent.p == 0:
            return None
        text = _base_text(base)
        if text is None:
            return None
        # The printer writes base**-n below the bar as base**n, and base**-1 as base.
        power = "" if abs(exponent.p) == 1 else f"**{abs(exponent.p)}"
        if exponent.p < 0:
            below.append(text + power)
        elif type(base) is sympy.Symbol:
            symbols.append((base.name, text + power))
        else:
            others.append(text + power)
    names = [name for name, _ in symbols]
    if len(others) > 1 or len(below) > 1 or len(set(names)) != len(names):
        return None
    return [text for _, text in sorted(symbols)] + others, below


def _base_text(base: sympy.Expr) -> str | None:
    """A plain factor's base as the printer writes it in a product or under a power."""
    if type(base) is sympy.Symbol:
        return str(base.name)
    if base.is_Add:
        return f"({plain_text(base)})"  # a sum binds more loosely than a product or a power
    return _call_text(base)


def _call_text(applied: sympy.Expr) -> str | None:
    """StrPrinter's text of a function of one plain argument, where SymPy prints it by name."""
    if not isinstance(applied, sympy.Function) or len(applied.args) != 1 or not printed_by_name(applied.func):
        return None
    argument = applied.args[0]
    text = plain_text(argument) if argument.is_Add else _term_text(argument)
    return None if text is None else f"{type(applied).__name__}({text})"
