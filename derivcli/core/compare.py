"""Both witnesses side by side: the report that every output form is rendered from.

:func:`compare` runs the symbolic side and the autograd side on a
:class:`~derivcli.model.plan.Plan` and returns a frozen :class:`Report`; nothing
here prints.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy

from derivcli.core.bits.measure import measure
from derivcli.core.clarke import clarke_note, clarke_verdict
from derivcli.core.notes import (
    atol_only_note,
    between,
    cancelled_form_note,
    fd_sides,
    finding_note,
    first_overflow,
    non_finite_autograd_note,
    one_sided_note,
    rounding_note,
    status_note,
    underflow_notes,
)
from derivcli.core.numeric.autograd import AutogradValues, autograd_at_points
from derivcli.core.numeric.finite_difference import FiniteDifference, finite_difference, one_sided_difference
from derivcli.core.numeric.parts import TorchFunction
from derivcli.core.numeric.translate import compile_tree
from derivcli.core.symbolic.build import SymbolicExpression, build, differentiate
from derivcli.core.symbolic.constant_text import constant_text
from derivcli.core.symbolic.display import display_form, display_text, simplify_within
from derivcli.core.symbolic.exact import ValueStatus, evaluate_at, point_value, round_to_bits, to_dtype
from derivcli.core.symbolic.findings import analyse_point
from derivcli.core.symbolic.forms import latex_forms, tangent_at
from derivcli.core.symbolic.plain_text import plain_text
from derivcli.core.symbolic_point import symbolic_coordinate, symbolic_point_note, symbolic_point_report
from derivcli.errors import ErrorKind
from derivcli.model.agreement import errors_between, within
from derivcli.model.eval import (
    AutogradOnly,
    AutogradPoint,
    DerivativeEntry,
    OneSided,
    PointReport,
    Report,
)
from derivcli.model.plan import Plan, derivative_key, point_names
from derivcli.model.setup import DEFAULT_SIMPLIFY_TIMEOUT, Setup, Tolerance
from derivcli.model.text import point_label
from derivcli.parsing.points import Assignment
from derivcli.parsing.tree import ParsedExpression
from derivcli.worker.board import step
from derivcli.worker.cache import sized_cache


@dataclass(frozen=True, slots=True)
class Options:
    """How to compute: the setup (device, dtype, tolerances), the display, and the third witness."""

    setup: Setup = field(default_factory=Setup)
    simplify: bool = False
    simplify_timeout: float = DEFAULT_SIMPLIFY_TIMEOUT
    fd: bool = False
    bits: bool = False
    tangent: bool = False
    latex: bool = False


def compare(
    plan: Plan, options: Options, *, on_autograd: Callable[[AutogradOnly], None] | None = None
) -> Report:
    """Differentiate symbolically and by autograd at every point of the plan."""
    tolerance = options.setup.tolerance
    keys = plan.derivatives or tuple((name,) for name in plan.wrt)
    built = _built(plan.expression, plan.variables)
    symbols = built.symbols
    exact_points = _exact_points(plan, symbols)
    # Autograd needs numbers: it runs at the numeric points only; symbolic points are answered by SymPy alone.
    numeric = [index for index, point in enumerate(plan.points) if not point_names(point)]
    numeric_plan = dataclasses.replace(plan, points=tuple(plan.points[index] for index in numeric))
    float_points = [
        _dtype_point(exact_points[index], plan.points[index], options.setup.dtype) for index in numeric
    ]

    # Autograd first: it is quick, and when the symbolic work then runs out of time, its answer stands.
    autograd = None
    function = None
    device = options.setup.device
    if float_points:
        function, autograd = _autograd(numeric_plan, keys, float_points, options)
        device = autograd.device
        if on_autograd is not None:
            on_autograd(_autograd_only(numeric_plan, options.setup.dtype, keys, float_points, autograd))
    _, lower, raw, shown, cached_notes = _symbolic_side(
        plan.expression, plan.variables, keys, options.simplify, options.simplify_timeout
    )
    notes = list(cached_notes)

    reports = []
    positions = {index: position for position, index in enumerate(numeric)}
    symbolic_points: list[dict[str, str]] = []
    for index, (point, assignments) in enumerate(zip(exact_points, plan.points, strict=True)):
        at_input = {name: assignment.text for name, assignment in assignments.items()}
        if index not in positions:
            step(f"substituting symbolic point {index + 1} ({point_label(at_input)})")
            reports.append(
                symbolic_point_report(
                    expr=built.expr,
                    derivatives={derivative_key(key): raw[derivative_key(key)] for key in keys},
                    shown=shown,
                    point=point,
                    at_input=at_input,
                    tangent=options.tangent,
                )
            )
            symbolic_points.append(at_input)
            continue
        assert autograd is not None
        assert function is not None
        position = positions[index]
        float_point = float_points[position]
        # Named from the text as typed: printing SymPy numbers costs more than this whole step often does.
        typed = point_label(at_input)
        step(f"evaluating exactly at point {index + 1} ({typed})")
        value = evaluate_at(built.expr, point)
        point_notes = underflow_notes(point, float_point, assignments, options.setup.dtype)
        # The point in float64: what the report shows, and where finite differences are taken.
        at = {symbol.name: round_to_bits(value_, 53) for symbol, value_ in point.items()}
        entries = {
            derivative_key(key): _entry(
                expr=lower[derivative_key(key)],
                derivative=raw[derivative_key(key)],
                shown=shown[derivative_key(key)],
                symbol=symbols[key[-1]],
                point=point,
                float_point=float_point,
                autograd=autograd.gradients[derivative_key(key)][position],
                tolerance=tolerance,
                dtype=options.setup.dtype,
                point_notes=point_notes,
                parsed=plan.expression,
                fd=finite_difference(function, point=at, key=key) if options.fd else None,
                one_sided=_one_sided(function, at, key) if options.fd and len(key) == 1 else None,
            )
            for key in keys
        }
        if options.bits:
            step(f"measuring bits of error at point {index + 1} ({typed})")
            entries = {
                derivative_key(key): _with_bits(
                    entries[derivative_key(key)],
                    plan=plan,
                    built=built,
                    derivative=raw[derivative_key(key)],
                    key=key,
                    at=float_point,
                    autograd=autograd.gradients[derivative_key(key)][position],
                    dtype=options.setup.dtype,
                    device=device,
                )
                for key in keys
            }
        reports.append(
            PointReport(
                at=at,
                at_exact={symbol.name: constant_text(value_) for symbol, value_ in point.items()},
                at_input=at_input,
                value=value.value,
                value_exact=value.exact,
                value_autograd=autograd.values[position],
                derivatives=entries,
                tangent=tangent_at(built.expr, raw[derivative_key(keys[0])], point)
                if options.tangent
                else None,
            )
        )

    if symbolic_points:
        notes.append(symbolic_point_note(symbolic_points))
    return Report(
        input=plan.expression.text,
        expression=_expression_text(plan.expression, plan.variables),
        variables=plan.variables,
        wrt=plan.wrt,
        device=device,
        dtype=options.setup.dtype,
        order=plan.order,
        rtol=tolerance.rtol,
        atol=tolerance.atol,
        derivatives=dict(shown),
        points=tuple(reports),
        notes=tuple(notes),
        latex=latex_forms(built.expr, raw) if options.latex else None,
    )


@sized_cache(lambda expression, *_: len(expression.text))
def _symbolic_side(
    expression: ParsedExpression,
    variables: tuple[str, ...],
    keys: tuple[tuple[str, ...], ...],
    simplify: bool,
    simplify_timeout: float,
) -> tuple[SymbolicExpression, dict[str, sympy.Expr], dict[str, sympy.Expr], dict[str, str], list[str]]:
    """SymPy's expression, each derivative, the one an order below it, and their displayed forms.

    Cached: a batch that asks about the same expression again pays only for
    the evaluation at its new points. (Callers must not mutate the results.)
    """
    built = _built(expression, variables)
    symbols = built.symbols
    # For each derivative, the one of an order lower: its kinks and jumps explain this one's points.
    lower: dict[str, sympy.Expr] = {}
    raw: dict[str, sympy.Expr] = {}
    for key in keys:
        below = built.expr
        step(f"differentiating with respect to {', '.join(key)}")
        for name in key[:-1]:
            below = differentiate(below, symbols[name])
        lower[derivative_key(key)] = below
        raw[derivative_key(key)] = differentiate(below, symbols[key[-1]])
    step("simplifying the derivatives" if simplify else "rewriting the derivatives for display")
    shown, notes = _shown_derivatives(raw, simplify=simplify, simplify_timeout=simplify_timeout)
    return built, lower, raw, shown, notes


@sized_cache(lambda expression, *_: len(expression.text))
def _built(expression: ParsedExpression, variables: tuple[str, ...]) -> SymbolicExpression:
    """SymPy's expression (cached like the derivatives; it also refuses expressions undefined as a whole)."""
    step("building the SymPy expression")
    return build(expression, extra_variables=variables)


@sized_cache(lambda expression, *_: len(expression.text))
def _expression_text(expression: ParsedExpression, variables: tuple[str, ...]) -> str:
    """SymPy's expression as text (cached: printing it can cost more than a repeated line's evaluation)."""
    return plain_text(_built(expression, variables).expr)


def _exact_points(plan: Plan, symbols: Mapping[str, sympy.Symbol]) -> list[dict[sympy.Symbol, sympy.Expr]]:
    """Each point exactly: numbers, or expressions in its names at a symbolic point."""
    step("reading the points exactly")
    return [
        {
            symbols[name]: symbolic_coordinate(assignment, name=name)
            if assignment.names
            else point_value(assignment, name=name)
            for name, assignment in point.items()
        }
        for point in plan.points
    ]


def _autograd_only(
    plan: Plan,
    dtype: str,
    keys: tuple[tuple[str, ...], ...],
    float_points: Sequence[Mapping[str, float]],
    result: AutogradValues,
) -> AutogradOnly:
    """Autograd's answers alone, to show if the symbolic side runs out of time."""
    return AutogradOnly(
        input=plan.expression.text,
        variables=plan.variables,
        wrt=plan.wrt,
        device=result.device,
        dtype=dtype,
        order=plan.order,
        points=tuple(
            AutogradPoint(
                at=float_points[index],
                at_input={name: assignment.text for name, assignment in assignments.items()},
                value=result.values[index],
                derivatives={
                    derivative_key(key): result.gradients[derivative_key(key)][index] for key in keys
                },
            )
            for index, assignments in enumerate(plan.points)
        ),
    )


def _autograd(
    plan: Plan,
    keys: tuple[tuple[str, ...], ...],
    float_points: Sequence[Mapping[str, float]],
    options: Options,
) -> tuple[TorchFunction, AutogradValues]:
    """The expression translated to torch, and autograd's values and derivatives at every point."""
    # Constant parts are folded exactly, in SymPy: that is symbolic work on the budget.
    step("translating the expression to torch")
    function = compile_tree(plan.expression)
    step("running autograd")
    result = autograd_at_points(
        function,
        variables=plan.variables,
        wrt=plan.wrt,
        points=float_points,
        device=options.setup.device,
        dtype=options.setup.dtype,
        derivatives=keys,
    )
    return function, result


def _dtype_point(
    point: Mapping[sympy.Symbol, sympy.Expr], assignments: Mapping[str, Assignment], dtype: str
) -> dict[str, float]:
    """The point rounded once to the dtype; a coordinate the dtype cannot hold is refused."""
    return {
        symbol.name: dtype_value(value, assignments[symbol.name], name=symbol.name, dtype=dtype)
        for symbol, value in point.items()
    }


def dtype_value(value: sympy.Expr, assignment: Assignment, *, name: str, dtype: str) -> float:
    """An exact coordinate rounded once to the dtype; one the dtype cannot hold is refused."""
    number = to_dtype(value, dtype)
    if not math.isfinite(number):
        raise assignment.refuse(ErrorKind.BAD_NUMBER, name, f"overflows {dtype}")
    return number


def _shown_derivatives(
    raw: Mapping[str, sympy.Expr], *, simplify: bool, simplify_timeout: float
) -> tuple[dict[str, str], list[str]]:
    """The text of each derivative as shown: cheap rewriting, or simplify under a time budget."""
    shown: dict[str, str] = {}
    notes: list[str] = []
    for name, derivative in raw.items():
        if not simplify:
            shown[name] = display_text(derivative)
            continue
        cheap = display_form(derivative)
        simplified = simplify_within(cheap, simplify_timeout)
        if simplified is None:
            notes.append(
                f"simplify of d/d{name} ran out of its {simplify_timeout:g} s budget;"
                " showing the cheaply rewritten form"
            )
        shown[name] = str(cheap if simplified is None else simplified)
    return shown, notes


def _with_bits(
    entry: DerivativeEntry,
    *,
    plan: Plan,
    built: SymbolicExpression,
    derivative: sympy.Expr,
    key: tuple[str, ...],
    at: Mapping[str, float],
    autograd: float,
    dtype: str,
    device: str,
) -> DerivativeEntry:
    """The entry with its bits of error, culprit and helpful rewrites (--bits)."""
    measured = measure(
        parsed=plan.expression,
        built=built,
        variables=plan.variables,
        derivative=derivative,
        key=key,
        at=at,
        autograd=autograd,
        dtype=dtype,
        device=device,
    )
    return dataclasses.replace(entry, bits=measured.bits, rewrites=measured.rewrites)


def _one_sided(
    function: TorchFunction, at: Mapping[str, float], key: tuple[str, ...]
) -> Callable[[int], FiniteDifference]:
    """The one-sided finite difference along the key's variable, for a side (-1 left, 1 right)."""
    return lambda side: one_sided_difference(function, point=at, name=key[0], side=side)


def _entry(
    *,
    expr: sympy.Expr,
    derivative: sympy.Expr,
    shown: str,
    symbol: sympy.Symbol,
    point: Mapping[sympy.Symbol, sympy.Expr],
    float_point: Mapping[str, float],
    autograd: float,
    tolerance: Tolerance,
    dtype: str,
    point_notes: Sequence[str],
    parsed: ParsedExpression,
    fd: FiniteDifference | None = None,
    one_sided: Callable[[int], FiniteDifference] | None = None,
) -> DerivativeEntry:
    """Compare one derivative at one point and explain any special circumstance."""
    exact = evaluate_at(derivative, point)
    abs_error, rel_error = errors_between(autograd, exact.value)
    agree = within(autograd, exact.value, tolerance)
    findings = analyse_point(expr, derivative, symbol, point)
    notes = [*point_notes] + [
        finding_note(finding, symbol=symbol, point=point, autograd=autograd, exact=exact)
        for finding in findings
    ]
    if not notes and exact.status is not ValueStatus.FINITE:
        notes.append(status_note(exact))
    if exact.status is not ValueStatus.FINITE and exact.status is not ValueStatus.OVERFLOW:
        cancelled = cancelled_form_note(shown, derivative, point)
        if cancelled is not None:
            notes.append(cancelled)
    if not agree and exact.status is ValueStatus.FINITE and math.isfinite(autograd):
        rounding = rounding_note(derivative, point, float_point, autograd, tolerance, dtype)
        if rounding is not None:
            notes.append(rounding)
    if not agree and not notes and math.isfinite(exact.value) and not math.isfinite(autograd):
        overflow = first_overflow(parsed, {symbol.name: symbol for symbol in point}, point, dtype)
        notes.append(non_finite_autograd_note(autograd, exact, expr, dtype, overflow=overflow))
    # Every note so far names a cause (a kink, the domain, overflow, the point's rounding, precision).
    explained = None if agree else bool(notes)
    if not agree and not notes and math.isfinite(autograd) != math.isfinite(exact.value):
        notes.append("one side is not finite")
    verdict = clarke_verdict(findings, autograd, tolerance)
    if verdict is not None and (verdict.low != verdict.high or not verdict.autograd_in):
        # A set of one element that autograd found says nothing the other notes do not.
        notes.append(clarke_note(verdict, autograd))
    if (
        agree
        and not notes
        and exact.status is ValueStatus.FINITE
        and exact.value != 0
        and rel_error > tolerance.rtol
    ):
        # tanh'(20) is 1.7e-17 and autograd gives 0: within atol, but not one digit is right.
        notes.append(atol_only_note(autograd, exact.value, rel_error, tolerance))
    if fd is not None and not agree:
        sides = fd_sides(fd, autograd=autograd, exact=exact.value)
        if sides is not None:
            notes.append(sides)
    left = right = None
    if one_sided is not None and verdict is not None:
        left, right = one_sided(-1), one_sided(1)
        notes.append(one_sided_note(left, right, autograd))
    return DerivativeEntry(
        symbolic=shown,
        exact=exact.exact,
        symbolic_value=exact.value,
        autograd=autograd,
        abs_error=abs_error,
        rel_error=rel_error,
        agree=agree,
        note="; ".join(notes) if notes else None,
        fd=None if fd is None else fd.value,
        fd_error_bound=None if fd is None else fd.error_bound,
        fd_abs_error=None if fd is None else errors_between(fd.value, exact.value)[0],
        clarke=None if verdict is None else (verdict.low, verdict.high),
        min_norm=None if verdict is None else verdict.min_norm,
        autograd_in_clarke=None if verdict is None else verdict.autograd_in,
        artificial_critical_point=None if verdict is None else verdict.artificial_critical_point,
        fd_left=None if left is None else OneSided(left.value, left.error_bound),
        fd_right=None if right is None else OneSided(right.value, right.error_bound),
        autograd_between_fd=None if left is None or right is None else between(left, right, autograd),
        explained=explained,
    )
