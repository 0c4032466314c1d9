"""A symbolic point (``--at x=a``): f, each derivative and the tangent there, as expressions in its names.

Autograd computes with numbers, so at such a point only the symbolic side
answers; the report's numbers are None there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy

from derivcli.core.symbolic.build import node_expression
from derivcli.core.symbolic.display import display_text
from derivcli.core.symbolic.exact import exact_text
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.eval import DerivativeEntry, PointReport, Tangent
from derivcli.model.text import point_label
from derivcli.parsing.points import Assignment, reanchor

_UNDEFINED = (sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)


def symbolic_coordinate(assignment: Assignment, *, name: str) -> sympy.Expr:
    """A coordinate written in names (``2*a + 1``) as SymPy, its names real symbols like the variables."""
    symbols = {symbol: sympy.Symbol(symbol, real=True) for symbol in assignment.names}
    try:
        value = node_expression(assignment.value.tree, symbols)
    except DerivError as error:
        raise reanchor(
            error, spec=assignment.spec, offset=assignment.offset, option=assignment.option
        ) from None
    if value.has(*_UNDEFINED):
        raise assignment.refuse(ErrorKind.BAD_NUMBER, name, "is not a finite number")
    if value.has(sympy.I):
        raise assignment.refuse(ErrorKind.BAD_POINT, name, "is not real")
    return value


def symbolic_point_note(at_inputs: Sequence[Mapping[str, str]]) -> str:
    """What the report says once about its symbolic points: why autograd has no value there."""
    labels = [point_label(at_input) for at_input in at_inputs]
    if len(labels) == 1:
        where = f"{labels[0]} is a symbolic point"
    else:
        where = f"{', '.join(labels[:-1])} and {labels[-1]} are symbolic points"
    return f"{where}: autograd computes with numbers, so only the symbolic side answers there"


def symbolic_point_report(
    *,
    expr: sympy.Expr,
    derivatives: Mapping[str, sympy.Expr],
    shown: Mapping[str, str],
    point: Mapping[sympy.Symbol, sympy.Expr],
    at_input: Mapping[str, str],
    tangent: bool,
) -> PointReport:
    """f and each derivative at a symbolic point: their expressions there, with no numbers."""
    entries = {
        key: DerivativeEntry(
            symbolic=shown[key],
            exact=_text_at(derivative, point),
            symbolic_value=None,
            autograd=None,
            abs_error=None,
            rel_error=None,
            agree=None,
            note=None,
        )
        for key, derivative in derivatives.items()
    }
    first = next(iter(derivatives.values()))
    return PointReport(
        at=dict.fromkeys((symbol.name for symbol in point), None),
        at_exact={symbol.name: str(value) for symbol, value in point.items()},
        at_input=dict(at_input),
        value=None,
        value_exact=_text_at(expr, point),
        value_autograd=None,
        derivatives=entries,
        tangent=_tangent(expr, first, point) if tangent else None,
    )


def _text_at(expr: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]) -> str:
    """``expr`` at the point, in its shortest cheap form (``12*a + 2``)."""
    value = expr.xreplace(dict(point))
    if value in _UNDEFINED:
        return exact_text(value)
    return display_text(value)


def _tangent(
    expr: sympy.Expr, derivative: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Expr]
) -> Tangent | None:
    """The tangent line at a symbolic point, slope times x plus intercept (``2*a*x - a**2`` for x**2 at a).

    None where f or f' is undefined there.
    """
    ((symbol, x0),) = point.items()
    slope = sympy.factor_terms(derivative.xreplace(dict(point)))
    intercept = sympy.factor_terms(sympy.expand(expr.xreplace(dict(point)) - slope * x0))
    if slope.has(*_UNDEFINED) or intercept.has(*_UNDEFINED):
        return None
    return Tangent(exact=_line_text(slope, intercept, symbol), slope=None, intercept=None)


def _line_text(slope: sympy.Expr, intercept: sympy.Expr, symbol: sympy.Symbol) -> str:
    """``slope*x + intercept`` written in that order (SymPy would sort the terms by their symbols)."""
    if slope.is_zero:
        return str(intercept)
    term = str(slope * symbol) if not slope.is_Add else f"({slope})*{symbol}"
    if intercept.is_zero:
        return term
    if intercept.could_extract_minus_sign():
        negated = -intercept
        return f"{term} - {f'({negated})' if negated.is_Add else negated}"
    return f"{term} + {f'({intercept})' if intercept.is_Add else intercept}"
