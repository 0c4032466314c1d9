"""SymPy objects built from the parsed tree, and their exact symbolic derivatives.

SymPy objects are built node by node from :mod:`derivcli.parsing` trees; no
text is ever handed to ``sympify``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import sympy
from sympy.codegen.cfunctions import expm1, hypot, log1p
from sympy.codegen.numpy_nodes import logaddexp

from derivcli.core.activations import logsigmoid, relu, sigmoid, softplus
from derivcli.core.realroot import cbrt, root
from derivcli.core.symbolic import chain_rule
from derivcli.core.symbolic.polynomial import expanded_derivative
from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.numbers import MAX_EXACT_BITS, too_large
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
    node_text,
)

# Exact integers up to MAX_EXACT_BITS (about 30,000 digits) must print; Python's
# default limit on int-to-text conversion is 4,300 digits.
if hasattr(sys, "set_int_max_str_digits") and 0 < sys.get_int_max_str_digits() < 40_000:
    sys.set_int_max_str_digits(40_000)


def _log(argument: sympy.Expr, base: sympy.Expr | None = None) -> sympy.Expr:
    """Natural logarithm, or logarithm to a base."""
    return sympy.log(argument) if base is None else sympy.log(argument, base)


def _real_root(argument: sympy.Expr, degree: sympy.Expr) -> sympy.Expr:
    """The real n-th root: n must be an odd whole number (an even root of a negative number is not real)."""
    if not (degree.is_Integer and degree > 0 and degree % 2 == 1):
        raise ValueError(f"root(x, n) needs an odd whole number n (use x**(1/n) otherwise), got {degree}")
    return root(argument, degree)


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
    "logsigmoid": logsigmoid,
    "log1p": log1p,
    "expm1": expm1,
    "hypot": hypot,
    "logaddexp": logaddexp,
    "sec": sympy.sec,
    "csc": sympy.csc,
    "cot": sympy.cot,
    "asec": sympy.asec,
    "acsc": sympy.acsc,
    "acot": sympy.acot,
    "sech": sympy.sech,
    "csch": sympy.csch,
    "coth": sympy.coth,
    "cbrt": cbrt,
    "root": _real_root,
    "min": sympy.Min,
    "max": sympy.Max,
    "heaviside": sympy.Heaviside,
}


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
    complex_part = _complex_constant(expr)
    if complex_part is not None:
        # acos(2) stays as it is, with no I to see; differentiating relu(x + acos(2)) would fail in SymPy.
        root = any(power.base.is_negative for power in complex_part.atoms(sympy.Pow))
        raise DerivError(
            ErrorKind.BAD_NUMBER,
            f"the expression is not real: {complex_part} is not a real number",
            hint="cbrt(x) and root(x, n) are the real roots of a negative number" if root else None,
        )
    return SymbolicExpression(expr=expr, symbols=symbols)


def _complex_constant(expr: sympy.Expr) -> sympy.Expr | None:
    """A largest constant part of ``expr`` that SymPy knows is not real (``acos(2)``), or None.

    Only whole constant parts are asked: ``acos(2)**2`` is real, and so is
    an expression that holds it.
    """
    waiting = [expr]
    while waiting:
        node = waiting.pop()
        if node.free_symbols:
            waiting.extend(reversed(node.args))
        elif node.is_extended_real is False:
            return node
    return None


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
        total = sympy.Add(
            *[-term if negative else term for (negative, _), term in zip(node.terms, terms, strict=True)]
        )
        return _bounded(total, node, text)
    if isinstance(node, Product):
        factors = [_to_sympy(factor, symbols, text) for _, factor in node.factors]
        for (divide, item), factor in zip(node.factors, factors, strict=True):
            if divide and factor.is_zero:
                raise DerivError(ErrorKind.BAD_NUMBER, "division by zero", source=text, column=item.column)
        product = sympy.Mul(
            *[
                1 / factor if divide else factor
                for (divide, _), factor in zip(node.factors, factors, strict=True)
            ]
        )
        return _bounded(product, node, text)
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


def _bounded(value: sympy.Expr, node: Sum | Product, text: str) -> sympy.Expr:
    """Refuse a sum or product whose exact number outgrew the limit (``10**25000*10**25000*x``).

    Each literal and power is checked as it is read; products and sums of
    them can still multiply digits, so their folded coefficient is checked
    too (the nodes inside were checked when they were built).
    """
    coefficient = value.as_coeff_Mul()[0] if value.is_Mul else value.as_coeff_Add()[0]
    if coefficient.is_Rational and not coefficient.is_zero:
        bits = float(max(abs(coefficient.p).bit_length(), coefficient.q.bit_length()))
        if bits > MAX_EXACT_BITS:
            raise too_large(node_text(node), bits, source=text, column=node.column)
    return value


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
    """SymPy's derivative: an expanded polynomial's term by term, anything else by SymPy's rules per node."""
    derivative = expanded_derivative(expr, symbol)
    return chain_rule.derivative(expr, symbol) if derivative is None else derivative
