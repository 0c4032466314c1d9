"""The text of an exact constant, as SymPy prints it, without the slowest step of its printer.

SymPy prints a sum in the order of ``as_ordered_terms``. For a sum of
constants (``6*cos(2073/500) + 691/250``) that order is by value: each
term is evaluated with ``evalf`` and the terms sorted by the float64
results, which costs most of the printing. Here the terms' values are
enclosed in intervals instead; when the intervals prove the order, the sum
is printed in it, and otherwise SymPy orders it. Either way the text is
SymPy's, character for character.

The commonest values, a point substituted into a sum of a polynomial and
multiples of a function (``94/125 - 6*sin(141/125)``), are written here
directly, term by term as SymPy's printer writes them; anything else goes
through the printer itself.
"""

from __future__ import annotations

import functools
from typing import Any

import sympy
from sympy.printing.str import StrPrinter

from derivcli.core.symbolic.enclosure import ordered_by_value
from derivcli.core.symbolic.walk import any_node

#: Functions whose floats SymPy's printer gets wrong at large arguments (csc(10**20/7) is 1.3975, its
#: float 1.6976): a sum holding one is ordered by those floats, so SymPy orders it, as it always has.
_EVALUATED_LOOSELY = (sympy.sec, sympy.csc, sympy.cot)


def constant_text(value: sympy.Expr) -> str:
    """``str(value)`` for an exact constant (any expression prints the same, more slowly otherwise)."""
    if value.is_Rational:
        # StrPrinter's _print_Rational and _print_Integer, without building a printer: half of all values.
        return rational_text(value)
    terms = sympy.Add.make_args(value)
    texts = [_term_text(term) for term in terms]
    if any(text is None for text in texts):
        # A printer per call: a printer keeps state while it prints, and the API may be called from threads.
        return str(_ConstantPrinter({"order": None}).doprint(value))
    by_term = dict(zip(terms, texts, strict=True))
    ordered = sum_of_constants_order(value) if len(terms) > 1 else list(terms)
    if ordered is None:
        return str(StrPrinter({"order": None}).doprint(value))  # SymPy's order, asked of no interval again
    return sum_text([by_term[term] for term in ordered])


def rational_text(number: sympy.Rational) -> str:
    """StrPrinter's text of a rational: its numerator, and "/" and its denominator unless that is 1."""
    return str(number.p) if number.q == 1 else f"{number.p}/{number.q}"


def sum_text(texts: list[str | None]) -> str:
    """StrPrinter's text of a sum whose terms, in order, print as ``texts``, none parenthesised.

    As _print_Add: a term's own minus sign becomes the operator before it.
    No plain term (see :func:`_term_text`) is parenthesised in a sum: each
    binds at least as tightly as addition.
    """
    pieces = []
    for text in texts:
        assert text is not None
        pieces += ["-", text[1:]] if text.startswith("-") else ["+", text]
    first = pieces.pop(0)
    return ("" if first == "+" else "-") + " ".join(pieces)


def _term_text(term: sympy.Expr) -> str | None:
    """StrPrinter's text of a rational, or an integer times a plain factor (see :func:`_factor_text`)."""
    if term.is_Rational:
        return rational_text(term)
    if term.is_Mul:
        # An evaluated product lists its numeric coefficient first.
        if len(term.args) != 2 or not term.args[0].is_Integer:
            return None
        coefficient, factor = term.args[0].p, _factor_text(term.args[1])
        if factor is None:
            return None
        # _print_Mul: the sign in front, then the coefficient unless it is 1.
        return f"-{factor}" if coefficient == -1 else f"{coefficient}*{factor}"
    return _factor_text(term)


def _factor_text(factor: sympy.Expr) -> str | None:
    """StrPrinter's text of ``f(r)`` or ``f(r)**n``: f printed by name, r rational, n an integer above 1."""
    if factor.is_Pow:
        exponent = factor.exp
        if not (exponent.is_Integer and exponent.p > 1):
            return None  # sqrt, 1/f(r) and the like have printers of their own
        base = _function_text(factor.base)
        return None if base is None else f"{base}**{exponent.p}"
    return _function_text(factor)


def _function_text(applied: sympy.Expr) -> str | None:
    """StrPrinter's text of a function of one rational, where SymPy prints it as its name and argument."""
    if not isinstance(applied, sympy.Function) or len(applied.args) != 1:
        return None
    argument = applied.args[0]
    if not argument.is_Rational or not printed_by_name(applied.func):
        return None
    return f"{type(applied).__name__}({rational_text(argument)})"


@functools.cache
def printed_by_name(function: type) -> bool:
    """True when StrPrinter prints this function class with _print_Function: its name, then its arguments."""
    if hasattr(function, StrPrinter.printmethod):
        return False
    for cls in function.__mro__:
        if cls is sympy.Function:
            return True
        if hasattr(_ConstantPrinter, f"_print_{cls.__name__}"):
            return False
    return False


class _ConstantPrinter(StrPrinter):  # type: ignore[misc]  # SymPy's printers are untyped
    """SymPy's own printer, with the terms of a sum of constants ordered from intervals where they decide."""

    def _as_ordered_terms(self, expr: sympy.Expr, order: Any = None) -> list[sympy.Expr]:
        if (order or self.order) is None and expr.is_Add:
            ordered = sum_of_constants_order(expr)
            if ordered is not None:
                return ordered
        return list(super()._as_ordered_terms(expr, order=order))


def sum_of_constants_order(expr: sympy.Expr) -> list[sympy.Expr] | None:
    """The terms of a sum of real constants in ``as_ordered_terms``'s order, or None when not proved here.

    ``as_ordered_terms`` first keeps ``a - b*c`` (a number, then a product of
    a negative number and one more factor) as it is; any other sum of
    constants has every term's value as its only sort key, in increasing
    order: the product of the floats of its numeric coefficient and of each
    other factor.
    """
    terms = sympy.Add.make_args(expr)
    special = _number_then_negative_product(terms)
    if special is not None:
        return special
    if not all(term.is_number for term in terms) or any(any_node(term, _evaluated_loosely) for term in terms):
        return None
    order = ordered_by_value([_factors(term) for term in terms])
    return None if order is None else [terms[index] for index in order]


def _evaluated_loosely(node: sympy.Basic) -> bool:
    return isinstance(node, _EVALUATED_LOOSELY)


def _factors(term: sympy.Expr) -> list[sympy.Expr]:
    """A term's factors as as_terms multiplies their floats: the numeric coefficient first, then the rest."""
    coefficient, rest = term.as_coeff_Mul()
    return [coefficient] if rest is sympy.S.One else [coefficient, *sympy.Mul.make_args(rest)]


def _number_then_negative_product(terms: tuple[sympy.Expr, ...]) -> list[sympy.Expr] | None:
    """as_ordered_terms's special case: [number, product] for number - c*factor, a positive number first."""
    numbers_first = sorted(terms, key=_not_a_number)
    if len(numbers_first) != 2 or _not_a_number(numbers_first[0]) or not numbers_first[1].is_Mul:
        return None
    factors = sorted(sympy.Mul.make_args(numbers_first[1]), key=_not_a_number)
    if len(factors) != 2 or not isinstance(factors[0], sympy.Number):
        return None
    if _positive(numbers_first[0]) and _negative(factors[0]):
        return numbers_first
    return None


def _not_a_number(term: sympy.Expr) -> bool:
    return not isinstance(term, (sympy.Number, sympy.NumberSymbol))


def _positive(number: sympy.Expr) -> bool:
    # A rational's sign is its numerator's: asking SymPy's assumptions costs more on a new number.
    return bool(number.p > 0) if number.is_Rational else bool(number.is_positive)


def _negative(number: sympy.Expr) -> bool:
    return bool(number.p < 0) if number.is_Rational else bool(number.is_negative)
