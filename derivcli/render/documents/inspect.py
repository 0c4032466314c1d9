"""The documents of the commands that look inside one computation: graph, steps, spellings, implicit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from derivcli.model.check import CheckReport
    from derivcli.model.gradient import GradientReport
    from derivcli.model.graph import GraphReport, TensorState
    from derivcli.model.implicit import ImplicitReport
    from derivcli.model.spellings import SpellingsReport
    from derivcli.model.steps import Step, StepsReport

from derivcli.render.documents.values import json_number, numbers_document, optional_number


def implicit_document(report: ImplicitReport) -> dict[str, Any]:
    """The document of ``deriv implicit --json``."""
    return {
        "equation": report.equation,
        "function": report.function,
        "x": report.x,
        "y": report.y,
        "dtype": report.dtype,
        "symbolic": dict(report.formulas),
        "points": [
            {
                "at": numbers_document(point.at),
                "at_input": dict(point.at_input),
                "on_curve": point.on_curve,
                "residual": json_number(point.residual),
                "derivatives": {
                    name: {
                        "exact": value.exact,
                        "symbolic_value": json_number(value.symbolic),
                        "autograd": json_number(value.autograd),
                        "abs_error": json_number(value.abs_error),
                        "agree": value.agree,
                    }
                    for name, value in point.derivatives.items()
                },
                "notes": list(point.notes),
            }
            for point in report.points
        ],
        "agree": report.all_agree,
    }


def spellings_document(report: SpellingsReport) -> dict[str, Any]:
    """The document of ``deriv spellings --json``."""
    return {
        "input": report.input,
        "expression": report.expression,
        "wrt": report.wrt,
        "at": json_number(report.at),
        "at_input": report.at_input,
        "device": report.device,
        "dtype": report.dtype,
        "exact": json_number(report.exact),
        "clarke": None if report.clarke is None else [json_number(bound) for bound in report.clarke],
        "spellings": [
            {
                "site": row.site,
                "spelling": row.spelling,
                "autograd": optional_number(row.autograd),
                "in_clarke": row.in_clarke,
                "error": row.error,
            }
            for row in report.rows
        ],
        "notes": list(report.notes),
    }


def steps_document(report: StepsReport) -> dict[str, Any]:
    """The document of ``deriv steps --json``: the steps in tree order, each parent before its children."""
    divergence = report.first_divergence
    return {
        "input": report.input,
        "expression": report.expression,
        "variable": report.variable,
        "at": None if report.at is None else numbers_document(report.at),
        "at_input": None if report.at_input is None else dict(report.at_input),
        "device": report.device,
        "dtype": report.dtype,
        "steps": [_step_document(step) for step in report.steps],
        "first_divergence": None if divergence is None else divergence.step,
        "divergence": None
        if divergence is None
        else {"step": divergence.step, "reason": divergence.reason.value, "detail": divergence.detail},
        "agree": report.agree,
        "latex": report.latex,
    }


def _step_document(step: Step) -> dict[str, Any]:
    """One rule application, with both witnesses' values at the point (null without one)."""
    values = step.values
    return {
        "id": step.id,
        "parent": step.parent,
        "rule": step.rule,
        "expression": step.expression,
        "by": step.by,
        "derivative": step.derivative,
        "formula": step.formula,
        "let": step.let,
        "latex": step.latex,
        "exact": None if values is None else values.exact,
        "value": None if values is None else json_number(values.value),
        "node": None if values is None or not values.nodes else values.nodes[0],
        "nodes": None if values is None else list(values.nodes),
        "autograd": None if values is None else json_number(values.autograd),
        "forward": None if values is None else optional_number(values.forward),
        "combination": None if values is None else values.combination,
        "at_argument": None if values is None else values.argument,
        "agree": None if values is None else values.agree,
    }


def _tensor_document(state: TensorState) -> dict[str, Any]:
    """A tensor's attributes."""
    return {
        "data": json_number(state.data),
        "grad_fn": state.grad_fn,
        "grad": optional_number(state.grad),
        "is_leaf": state.is_leaf,
        "requires_grad": state.requires_grad,
    }


def graph_document(report: GraphReport) -> dict[str, Any]:
    """The document of ``deriv graph --json``: nodes and edges of the backward graph, tensors, gradients."""
    return {
        "input": report.input,
        "expression": report.expression,
        "variables": list(report.variables),
        "wrt": list(report.wrt),
        "at": numbers_document(report.at),
        "at_input": dict(report.at_input),
        "device": report.device,
        "dtype": report.dtype,
        "value": json_number(report.value),
        "nodes": [
            {
                "id": node.index,
                "name": node.name,
                "expression": node.expression,
                "value": optional_number(node.value),
                "variable": node.variable,
                "local_derivatives": [
                    {
                        "input": local.input,
                        "derivative": local.derivative,
                        "exact": local.exact,
                        "value": json_number(local.value),
                    }
                    for local in node.local
                ],
            }
            for node in report.nodes
        ],
        "edges": [{"from": node.index, "to": child} for node in report.nodes for child in node.next],
        "tensors": {
            "before": {name: _tensor_document(state) for name, state in report.before.items()},
            "after": {name: _tensor_document(state) for name, state in report.after.items()},
        },
        "gradients": {
            name: {
                "autograd": optional_number(check.autograd),
                "symbolic": check.symbolic,
                "exact": check.exact,
                "symbolic_value": json_number(check.symbolic_value),
                "agree": check.agree,
            }
            for name, check in report.gradients.items()
        },
    }


def check_document(report: CheckReport) -> dict[str, Any]:
    """The document of ``deriv check --json``."""
    return {
        "function": report.function,
        "file": report.file,
        "against": report.against,
        "expression": report.expression,
        "variables": list(report.variables),
        "derivatives": dict(report.derivatives),
        "points": [numbers_document(point) for point in report.points],
        "checks": [
            {
                "name": check.name,
                "status": check.status,
                "message": check.message,
                "max_abs_error": optional_number(check.max_abs_error),
                "order": optional_number(check.order),
            }
            for check in report.checks
        ],
        "passed": report.passed,
    }


def gradient_document(report: GradientReport) -> dict[str, Any]:
    """The document of the Python API's ``check_gradient``: each value and derivative, both ways."""
    return {
        "function": report.function,
        "against": report.against,
        "expression": report.expression,
        "variables": list(report.variables),
        "derivatives": dict(report.derivatives),
        "values": [
            {
                "at": numbers_document(value.at),
                "derivative": value.name,
                "expected": json_number(value.expected),
                "got": json_number(value.got),
                "agree": value.agree,
            }
            for value in report.values
        ],
        "agree": report.agree,
    }
