"""``deriv steps``: the derivation rule by rule, with the exact value and autograd's beside every step.

:func:`derivation` builds the steps (:mod:`derivcli.core.steps.rules`), asks
autograd for each one (:mod:`derivcli.core.numeric.steps`), and finds the
first step where the two witnesses part and why. Nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import sympy

from derivcli.core.compare import dtype_value
from derivcli.core.numeric.steps import Answer, Query, trace_steps
from derivcli.core.steps.rules import RuleStep, derive
from derivcli.core.symbolic.build import build, node_expression
from derivcli.core.symbolic.display import display_text
from derivcli.core.symbolic.exact import (
    ExactValue,
    ValueStatus,
    evaluate_at,
    exact_text,
    point_value,
    round_to_bits,
)
from derivcli.core.symbolic.findings import analyse_point
from derivcli.model.agreement import within
from derivcli.model.plan import Plan
from derivcli.model.setup import Setup, Tolerance
from derivcli.model.steps import Divergence, FirstDivergence, Step, StepsReport, StepValues
from derivcli.model.text import format_number
from derivcli.worker.board import step as progress

#: Findings at which each witness follows a convention of its own.
_KINK_FINDINGS = frozenset({"kink", "jump", "cut", "threshold"})
#: Findings at which the function has no real derivative.
_DOMAIN_FINDINGS = frozenset({"domain", "edge", "infinite"})


def derivation(plan: Plan, *, setup: Setup, latex: bool = False) -> StepsReport:
    """The steps of d/dx of the plan's expression; with its point, both witnesses at each step."""
    variable = plan.wrt[0]
    progress("building the SymPy expression")
    built = build(plan.expression, extra_variables=plan.variables)
    progress("deriving rule by rule")
    rules = derive(plan.expression.tree, variable=variable, symbols=built.symbols)
    values: Sequence[StepValues | None] = [None] * len(rules)
    first = None
    device = setup.device
    at = at_input = None
    if plan.points:
        (assignments,) = plan.points
        exact_point = {
            built.symbols[name]: point_value(assignment, name=name)
            for name, assignment in assignments.items()
        }
        float_point = {
            name: dtype_value(exact_point[built.symbols[name]], assignment, name=name, dtype=setup.dtype)
            for name, assignment in assignments.items()
        }
        progress("running autograd step by step")
        trace = trace_steps(
            plan.expression,
            variables=plan.variables,
            variable=variable,
            point=float_point,
            queries=[_query(rule) for rule in rules],
            device=setup.device,
            dtype=setup.dtype,
        )
        device = trace.device
        progress("evaluating each step exactly")
        tolerance = setup.tolerance
        # Each step's point: an outer function's placeholders at its arguments' exact values.
        points = [_outer_point(rule, built.symbols, exact_point) for rule in rules]
        exact = [_exact(rule, point) for rule, point in zip(rules, points, strict=True)]
        values = _values(rules, exact, trace.answers, tolerance, points)
        first = _first_divergence(rules, values, exact, points, dtype=setup.dtype)
        at = {symbol.name: round_to_bits(value, 53) for symbol, value in exact_point.items()}
        at_input = {name: assignment.text for name, assignment in assignments.items()}
    steps = tuple(
        Step(
            id=rule.id,
            parent=rule.parent,
            rule=rule.rule,
            expression=rule.text,
            by=rule.by.name,
            derivative=display_text(rule.derivative),
            formula=rule.formula,
            let=rule.let,
            latex=sympy.latex(rule.derivative) if latex else None,
            values=value,
        )
        for rule, value in zip(rules, values, strict=True)
    )
    return StepsReport(
        input=plan.expression.text,
        expression=str(built.expr),
        variable=variable,
        variables=plan.variables,
        at=at,
        at_input=at_input,
        device=device,
        dtype=setup.dtype,
        steps=steps,
        first_divergence=first,
        latex=sympy.latex(built.expr) if latex else None,
    )


def _query(rule: RuleStep) -> Query:
    """What autograd is asked for a step: its subexpression's derivative, or its outer function's."""
    if rule.outer is None:
        return Query(rule.node, parts=rule.parts)
    return Query(rule.node, template=rule.outer.template, slots=rule.outer.slots, by=rule.by.name)


def _exact(rule: RuleStep, point: Mapping[sympy.Symbol, sympy.Expr]) -> ExactValue:
    """The exact derivative of the step's expression at its point."""
    return evaluate_at(sympy.diff(rule.expression, rule.by), point)


def _outer_point(
    rule: RuleStep, symbols: Mapping[str, sympy.Symbol], point: Mapping[sympy.Symbol, sympy.Expr]
) -> dict[sympy.Symbol, sympy.Expr]:
    """The point, with each placeholder of an outer function at its argument's exact value."""
    at = dict(point)
    if rule.outer is not None:
        for name, argument in rule.outer.slots:
            try:
                value = node_expression(argument, symbols).xreplace(dict(point))
            except (ValueError, TypeError):
                # max(log(x), 2) at 0: SymPy cannot order complex infinity; the argument has no value.
                value = sympy.nan
            at[sympy.Symbol(name, real=True)] = value
    return at


def _agree(autograd: float, exact: ExactValue, tolerance: Tolerance) -> bool:
    """Whether the witnesses agree at a step: within tolerance, or both without a number.

    An exact complex infinity (``1/(2*sqrt(0))``) agrees with an infinity of
    either sign: it is the limit torch's infinity stands for.
    """
    if within(autograd, exact.value, tolerance):
        return True
    if exact.status is ValueStatus.INFINITE:
        return math.isinf(autograd)
    return math.isnan(autograd) and exact.status in (ValueStatus.UNDEFINED, ValueStatus.NOT_REAL)


def _values(
    rules: Sequence[RuleStep],
    exact: Sequence[ExactValue],
    answers: Sequence[Answer],
    tolerance: Tolerance,
    points: Sequence[Mapping[sympy.Symbol, sympy.Expr]],
) -> list[StepValues]:
    """Each step's two values, and at a chain or product rule the product autograd formed."""
    values = []
    for rule, value, answer, point in zip(rules, exact, answers, points, strict=True):
        values.append(
            StepValues(
                exact=value.exact,
                value=value.value,
                nodes=answer.nodes,
                autograd=answer.derivative,
                forward=None if rule.argument is not None else answer.forward,
                agree=_agree(answer.derivative, value, tolerance),
                combination=_combination(rule, rules, answers),
                argument=_slots_text(rule, point),
            )
        )
    return values


def _combination(rule: RuleStep, rules: Sequence[RuleStep], answers: Sequence[Answer]) -> str | None:
    """How autograd's value at a chain or product rule is formed from its children's: ``inf * 0 = nan``.

    Shown only when that arithmetic gives autograd's value: torch's backward
    may mask instead of multiply (relu passes 0, not 0*inf), and a product's
    constant factors are not among the children.
    """
    children = [answers[child.id] for child in rules if child.parent == rule.id]
    got = answers[rule.id].derivative
    if rule.rule == "chain" and len(children) == 2:
        outer, inner = children
        formed = outer.derivative * inner.derivative
        text = f"{format_number(outer.derivative)} * {format_number(inner.derivative)}"
    elif rule.rule == "product" and all(answer.forward is not None for answer in children):
        terms, formed = [], 0.0
        for index, answer in enumerate(children):
            others = [other.forward for position, other in enumerate(children) if position != index]
            product = answer.derivative
            for other_value in others:
                product *= other_value  # type: ignore[operator]
            formed += product
            terms.append("*".join(format_number(number) for number in (answer.derivative, *others)))
        text = " + ".join(terms)
    else:
        return None
    same = (
        (math.isnan(formed) and math.isnan(got)) or formed == got or math.isclose(formed, got, rel_tol=1e-12)
    )
    return f"{text} = {format_number(got)}" if same else None


def _first_divergence(
    rules: Sequence[RuleStep],
    values: Sequence[StepValues],
    exact: Sequence[ExactValue],
    points: Sequence[Mapping[sympy.Symbol, sympy.Expr]],
    *,
    dtype: str,
) -> FirstDivergence | None:
    """The first step (in tree order) where the witnesses part while every step below it agrees."""
    for rule, value in zip(rules, values, strict=True):
        if value.agree or not all(values[below].agree for below in _below(rule, rules)):
            continue
        reason, detail = _reason(rule, rules, values, exact[rule.id], points[rule.id], dtype)
        return FirstDivergence(step=rule.id, reason=reason, detail=detail)
    return None


def _reason(
    rule: RuleStep,
    rules: Sequence[RuleStep],
    values: Sequence[StepValues],
    exact: ExactValue,
    point: Mapping[sympy.Symbol, sympy.Expr],
    dtype: str,
) -> tuple[Divergence, str]:
    """Why the witnesses part at this step: overflow, 0*inf, a kink's convention, the domain, or rounding."""
    value = values[rule.id]
    autograd, shown = value.autograd, _shown(exact)
    culprit = _overflowed(rule, rules, values)
    if culprit is not None and math.isfinite(evaluate_at(rule.expression, point).value):
        return (
            Divergence.OVERFLOW,
            f"{culprit.text} overflows {dtype} (torch computes inf where the exact value is"
            f" {_short(evaluate_at(culprit.expression, point))}), so autograd gives {format_number(autograd)}"
            f" where the exact derivative is {shown}",
        )
    children = [values[child.id] for child in rules if child.parent == rule.id]
    if math.isnan(autograd) and any(math.isinf(child.autograd) for child in children):
        how = f" ({value.combination})" if value.combination else ""
        return (
            Divergence.ZERO_TIMES_INFINITY,
            f"autograd multiplies 0 by inf here{how}; the exact derivative is {shown}",
        )
    derivative = sympy.diff(rule.expression, rule.by)
    kinds = {finding.kind: finding for finding in analyse_point(rule.expression, derivative, rule.by, point)}
    kink = next((kinds[kind] for kind in kinds if kind in _KINK_FINDINGS), None)
    if kink is not None:
        return (
            Divergence.KINK,
            f"{kink.function} has a kink or jump where {kink.argument} = 0 here: autograd takes"
            f" {format_number(autograd)} and SymPy {shown}, each by its own convention",
        )
    if exact.status is not ValueStatus.FINITE or any(kind in _DOMAIN_FINDINGS for kind in kinds):
        return (
            Divergence.DOMAIN,
            f"{rule.text} has no real derivative here (the exact value is {shown});"
            f" autograd gives {format_number(autograd)}",
        )
    if not math.isfinite(autograd):
        # No inf among the steps below: it arises inside this step's own torch operations.
        nodes = " and ".join(value.nodes) or "this step"
        if math.isnan(autograd):
            return (
                Divergence.ZERO_TIMES_INFINITY,
                f"{nodes} form nan from an intermediate inf (0*inf, inf/inf) inside {rule.text};"
                f" the exact derivative is {shown}",
            )
        return (
            Divergence.OVERFLOW,
            f"an intermediate value inside {rule.text} overflows {dtype} in {nodes}, so autograd gives"
            f" {format_number(autograd)} where the exact derivative is {shown}",
        )
    return (
        Divergence.ROUNDING,
        f"autograd's {format_number(autograd)} differs from the exact {shown} by rounding in {dtype}",
    )


def _below(rule: RuleStep, rules: Sequence[RuleStep]) -> list[int]:
    """The ids of every step under ``rule`` (the steps are in tree order: its subtree follows it)."""
    inside = {rule.id}
    for other in rules[rule.id + 1 :]:
        if other.parent not in inside:
            break
        inside.add(other.id)
    return sorted(inside - {rule.id})


#: Exact texts longer than this are given by their float in a sentence.
MAX_SHOWN_EXACT = 40


def _short(exact: ExactValue) -> str:
    """An exact value short enough for a sentence: its text, or its float when the text is long."""
    if exact.exact is not None and len(exact.exact) <= MAX_SHOWN_EXACT:
        return exact.exact
    if not math.isfinite(exact.value) and exact.high_precision is not None:
        # 10**400 is beyond float64: its leading digits say more than inf.
        return str(sympy.Float(exact.high_precision, 4))
    return format_number(exact.value)


def _shown(exact: ExactValue) -> str:
    """An exact value for a sentence: its text, with its float when the text is not a plain number."""
    number = format_number(exact.value)
    if exact.exact is None or exact.exact == number or len(exact.exact) > MAX_SHOWN_EXACT:
        return number
    try:
        float(exact.exact)
    except ValueError:
        return f"{exact.exact} (about {number})" if math.isfinite(exact.value) else exact.exact
    return exact.exact


def _overflowed(
    rule: RuleStep,
    rules: Sequence[RuleStep],
    values: Sequence[StepValues],
) -> RuleStep | None:
    """The innermost subexpression at or below the step that torch computed as inf, or None.

    The last such step in tree order below ``rule``, else ``rule`` itself.
    """
    for candidate in [*reversed(_below(rule, rules)), rule.id]:
        forward = values[candidate].forward
        if forward is not None and math.isinf(forward):
            return rules[candidate]
    return None


def _slots_text(rule: RuleStep, point: Mapping[sympy.Symbol, sympy.Expr]) -> str | None:
    """Where an outer function is taken, e.g. ``u = 0``; None for other steps."""
    if rule.outer is None:
        return None
    return ", ".join(
        f"{name} = {exact_text(point[sympy.Symbol(name, real=True)])}" for name, _ in rule.outer.slots
    )
