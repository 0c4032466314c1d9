"""SymPy's derivative of sums, products, powers and functions, built by SymPy's own rules without its wrapper.

``sympy.diff`` differentiates each node through ``Derivative(node, x)``,
which, around the node's own rule (``_eval_derivative``), reads its
arguments, asks whether the result is zero (an assumption query that walks
it) and walks it again for unevaluated derivatives to make canonical. For
the nodes deriv builds, none of that changes the result: the question only
returns early with the same object, and no unevaluated derivative arises.
Here each rule is applied as SymPy applies it, to the same arguments in the
same order, with that wrapper left out: the result is SymPy's, at about half
the cost. Any other node is differentiated by SymPy itself, and a result
that holds an unevaluated derivative is done again by ``sympy.diff``.
"""

from __future__ import annotations

import sympy
from sympy.core.function import ArgumentIndexError, Function
from sympy.ntheory.multinomial import multinomial_coefficients_iterator


def derivative(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """``sympy.diff(expr, symbol)``, the same expression, for a real symbol."""
    result = _derivative(expr, symbol)
    if result.has(sympy.Derivative):
        # SymPy makes unevaluated derivatives canonical at every level: leave those to it.
        return sympy.diff(expr, symbol)
    return result


def _derivative(node: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """What ``node.diff(symbol)`` returns: Derivative's shortcut for a constant, then the node's rule."""
    if symbol not in node.free_symbols:
        return sympy.S.Zero
    kind = type(node)
    if kind is sympy.Symbol:
        return sympy.S.One  # the symbol itself: any other has no free symbol in common
    if kind is sympy.Add:
        # Add._eval_derivative
        return sympy.Add(*[_derivative(term, symbol) for term in node.args])
    if kind is sympy.Mul:
        return _product(node, symbol)
    if kind is sympy.Pow:
        # Pow._eval_derivative, operation for operation
        base, exponent = node.args
        of_base, of_exponent = _derivative(base, symbol), _derivative(exponent, symbol)
        return node * (of_exponent * sympy.log(base) + of_base * exponent / base)
    if _has_functions_rule(kind):
        return _function(node, symbol)
    return node.diff(symbol)


def _product(node: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """Mul._eval_derivative_n_times once: the Leibniz rule, term by term, in SymPy's order."""
    args = node.args
    terms = []
    for orders, coefficient in multinomial_coefficients_iterator(len(args), sympy.Integer(1)):
        product = sympy.Mul(
            *[_derivative(arg, symbol) if order else arg for order, arg in zip(orders, args, strict=True)]
        )
        terms.append(coefficient * product)
    return sympy.Add(*terms)


def _function(node: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """Function._eval_derivative: the chain rule over each argument that depends on the symbol."""
    parts = []
    for position, argument in enumerate(node.args, start=1):
        inner = _derivative(argument, symbol)
        if inner.is_zero:
            continue
        try:
            outer = node.fdiff(position)
        except ArgumentIndexError:
            outer = Function.fdiff(node, position)
        parts.append(outer * inner)
    return sympy.Add(*parts)


def _has_functions_rule(kind: type) -> bool:
    """True for a function whose derivative is Function's chain rule, taken once by Basic's loop."""
    return (
        issubclass(kind, Function)
        and getattr(kind, "_eval_derivative", None) is Function._eval_derivative
        and getattr(kind, "_eval_derivative_n_times", None) is sympy.Basic._eval_derivative_n_times
    )
