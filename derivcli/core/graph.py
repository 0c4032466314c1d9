"""``deriv graph``: the backward graph torch builds for an expression, with each node's local derivative.

:func:`graph_at` traces the graph at one point (:mod:`derivcli.core.numeric.graph`)
and explains every node from the symbolic side: which forward operation made
it, and the derivative of that operation with respect to each of its inputs,
as a formula and as a number at the point. Nothing here prints.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import sympy

from derivcli.core.numeric.graph import trace_graph
from derivcli.core.symbolic.build import build, differentiate, node_expression
from derivcli.core.symbolic.display import display_form
from derivcli.core.symbolic.exact import evaluate_at, point_value, round_to_bits, to_dtype
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.agreement import within
from derivcli.model.graph import GradientCheck, GraphNode, GraphReport, LocalDerivative
from derivcli.model.plan import Plan
from derivcli.model.setup import DType
from derivcli.parsing.tree import Call, Negate, Node, Power, Product, Sum, Variable, has_variable, node_text
from derivcli.worker.board import step


def graph_at(plan: Plan, *, device: str = "cpu", dtype: str = DType.float64) -> GraphReport:
    """Trace the backward graph at the plan's single point and explain each node symbolically."""
    if len(plan.points) != 1:
        raise DerivError(
            ErrorKind.BAD_POINT,
            f"deriv graph draws the graph at one point; got {len(plan.points)}: give exactly one --at",
        )
    (assignments,) = plan.points
    # Tracing autograd at one point takes microseconds: the whole graph counts as symbolic work.
    step("drawing the graph")
    built = build(plan.expression, extra_variables=plan.variables)
    exact_point = {
        built.symbols[name]: point_value(assignment, name=name) for name, assignment in assignments.items()
    }
    float_point = {symbol.name: to_dtype(value, dtype) for symbol, value in exact_point.items()}
    traced = trace_graph(
        plan.expression, variables=plan.variables, wrt=plan.wrt, point=float_point, device=device, dtype=dtype
    )
    nodes = tuple(
        GraphNode(
            index=node.index,
            name=node.name,
            expression=None if node.expression is None else node_text(node.expression),
            variable=node.variable,
            value=node.value,
            next=node.next,
            local=()
            if node.expression is None
            else _local_derivatives(node.expression, built.symbols, exact_point),
        )
        for node in traced.nodes
    )
    tolerance = DType(dtype).tolerance
    gradients = {}
    for name in plan.wrt:
        derivative = differentiate(built.expr, built.symbols[name])
        exact = evaluate_at(derivative, exact_point)
        autograd = traced.gradients[name]
        gradients[name] = GradientCheck(
            autograd=autograd,
            symbolic=str(display_form(derivative)),
            exact=exact.exact,
            symbolic_value=exact.value,
            agree=within(0.0 if autograd is None else autograd, exact.value, tolerance),
        )
    return GraphReport(
        input=plan.expression.text,
        expression=str(built.expr),
        variables=plan.variables,
        wrt=plan.wrt,
        at={name: round_to_bits(value, 53) for name, value in ((s.name, v) for s, v in exact_point.items())},
        at_input={name: assignment.text for name, assignment in assignments.items()},
        device=traced.device,
        dtype=dtype,
        value=traced.output,
        nodes=nodes,
        before=traced.before,
        after=traced.after,
        gradients=gradients,
    )


def _local_derivatives(
    node: Node, symbols: Mapping[str, sympy.Symbol], point: Mapping[sympy.Symbol, sympy.Expr]
) -> tuple[LocalDerivative, ...]:
    """d(operation)/d(input) for each input of the operation that made ``node``, at the point."""
    operation = operation_of(node)
    if operation is None:
        return ()
    template, inputs = operation
    placeholders = {name: sympy.Symbol(name, real=True) for name, _ in inputs}
    expr = node_expression(template, {**symbols, **placeholders})
    filled = {placeholders[name]: node_expression(child, symbols) for name, child in inputs}
    result = []
    for name, child in inputs:
        derivative = sympy.diff(expr, placeholders[name]).xreplace(filled)
        value = evaluate_at(derivative, point)
        result.append(
            LocalDerivative(
                input=node_text(child),
                derivative=str(display_form(derivative)),
                exact=value.exact,
                value=value.value,
            )
        )
    return tuple(result)


def operation_of(node: Node) -> tuple[Node, tuple[tuple[str, Node], ...]] | None:
    """The single torch operation that computed ``node`` from its inputs, as deriv's translation does it.

    Returns a template in which every input that depends on a variable is a
    placeholder variable, and the inputs by placeholder name. A chain such as
    ``a + b + c`` is computed as ``(a + b) + c``, so its last operation has the
    inputs ``a + b`` and ``c``; ``log(x, b)`` is ``log(x)/log(b)``; a ``max``
    of several arguments is a chain of two-argument maxima.
    """
    names = (f"_{index}" for index in itertools.count())
    inputs: list[tuple[str, Node]] = []

    def slot(child: Node) -> Node:
        if not has_variable(child):
            return child
        name = next(names)
        inputs.append((name, child))
        return Variable(name, 0)

    template: Node
    if isinstance(node, Negate):
        template = Negate(slot(node.operand), node.column)
    elif isinstance(node, Sum | Product):
        items = node.terms if isinstance(node, Sum) else node.factors
        head = items[0][1] if len(items) == 2 else type(node)(items[:-1], node.column)
        flag, last = items[-1]
        pair = ((False, slot(head)), (flag, slot(last)))
        template = Sum(pair, node.column) if isinstance(node, Sum) else Product(pair, node.column)
    elif isinstance(node, Power):
        template = Power(slot(node.base), slot(node.exponent), node.column, node.text)
    elif isinstance(node, Call) and node.name == "log" and len(node.args) == 2:
        numerator, denominator = (Call("log", (arg,), node.column) for arg in node.args)
        template = Product(((False, slot(numerator)), (True, slot(denominator))), node.column)
    elif isinstance(node, Call) and node.name in ("max", "min") and len(node.args) > 2:
        head = Call(node.name, node.args[:-1], node.column)
        template = Call(node.name, (slot(head), slot(node.args[-1])), node.column)
    elif isinstance(node, Call):
        template = Call(node.name, tuple(slot(arg) for arg in node.args), node.column)
    else:
        return None
    return template, tuple(inputs)
