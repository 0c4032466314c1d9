"""Autograd's side of each step of a derivation, read from the graph torch builds.

The expression (as written) is evaluated once on 0-d leaf tensors with an
observer that keeps each subexpression's tensor. A step's autograd value is
then ``torch.autograd.grad`` of its subexpression's tensor by the variable's
leaf; its nodes are the ``grad_fn`` objects between that tensor and the
tensors of the subexpressions below it. A chain rule's outer function
(``sqrt(u)``) is run by itself on fresh leaves holding its arguments' values,
so that its derivative by one argument is autograd's even where two
arguments are the same tensor (``max(x, x)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from derivcli.core.numeric.device import DTYPES, Tensor, resolve_device
from derivcli.core.numeric.translate import compile_tree
from derivcli.parsing.tree import Node, ParsedExpression, node_text


@dataclass(frozen=True, slots=True)
class Query:
    """What one step asks of autograd: d(node)/d(variable), or an outer function's derivative by a slot."""

    node: Node
    #: Subexpressions torch forms on the way to ``node`` whose nodes count as this step's.
    parts: tuple[Node, ...] = ()
    #: For an outer function: the function with placeholders, each placeholder's argument, and the one
    #: to differentiate by.
    template: Node | None = None
    slots: tuple[tuple[str, Node], ...] = ()
    by: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """Autograd's derivative for one step, the nodes that compute it, and the subexpression's value."""

    derivative: float
    nodes: tuple[str, ...]
    forward: float | None


@dataclass(frozen=True, slots=True)
class StepsTrace:
    """Every step's answer, in the order asked, and where the computation ran."""

    answers: tuple[Answer, ...]
    device: str


def trace_steps(
    parsed: ParsedExpression,
    *,
    variables: Sequence[str],
    variable: str,
    point: Mapping[str, float],
    queries: Sequence[Query],
    device: str,
    dtype: str,
) -> StepsTrace:
    """Evaluate once on leaf tensors and answer each query from the graph."""
    torch_device = resolve_device(device, dtype)
    leaves = {
        name: torch.tensor(
            point[name], dtype=DTYPES[dtype], device=torch_device, requires_grad=name == variable
        )
        for name in variables
    }
    tensors: dict[Node, Tensor] = {}

    def keep(node: Node, tensor: Tensor) -> None:
        tensors[node] = tensor

    compile_tree(parsed, observe=keep)(leaves)
    owners = {id(tensor.grad_fn): node for node, tensor in tensors.items() if tensor.grad_fn is not None}
    leaf = leaves[variable]
    answers = tuple(
        _answer(query, tensors, owners, leaf)
        if query.template is None
        else _outer_answer(query, tensors, leaves, variables)
        for query in queries
    )
    return StepsTrace(answers=answers, device=str(torch_device))


def _outer_answer(
    query: Query, tensors: Mapping[Node, Tensor], leaves: Mapping[str, Tensor], variables: Sequence[str]
) -> Answer:
    """An outer function's derivative by one placeholder, run alone at its arguments' values."""
    assert query.template is not None
    env = {name: leaf.detach() for name, leaf in leaves.items()}
    for name, argument in query.slots:
        env[name] = tensors[argument].detach().clone().requires_grad_(name == query.by)
    names = (*variables, *(name for name, _ in query.slots))
    function = compile_tree(
        ParsedExpression(text=node_text(query.template), tree=query.template, variables=names)
    )
    output = function(env)
    (gradient,) = torch.autograd.grad(output, env[query.by or ""], allow_unused=True)
    derivative = 0.0 if gradient is None else float(gradient)
    return Answer(derivative=derivative, nodes=_owned(output.grad_fn, set(), {}), forward=None)


def _answer(query: Query, tensors: Mapping[Node, Tensor], owners: Mapping[int, Node], leaf: Tensor) -> Answer:
    """One step's derivative, its nodes and its forward value (a constant has none: 0, no nodes)."""
    output = tensors.get(query.node)
    if output is None:
        # A subexpression without the variable's leaf is folded to a constant: no tensor, derivative 0.
        return Answer(derivative=0.0, nodes=(), forward=None)
    forward = float(output.detach())
    if output is leaf:
        return Answer(derivative=1.0, nodes=("AccumulateGrad",), forward=forward)
    if not output.requires_grad:
        return Answer(derivative=0.0, nodes=(), forward=forward)
    (gradient,) = torch.autograd.grad(output, leaf, retain_graph=True, allow_unused=True)
    derivative = 0.0 if gradient is None else float(gradient)
    return Answer(
        derivative=derivative,
        nodes=_owned(output.grad_fn, {query.node, *query.parts}, owners),
        forward=forward,
    )


def _owned(root: Any, nodes: set[Node], owners: Mapping[int, Node]) -> tuple[str, ...]:
    """The names of the grad_fn objects that belong to ``nodes``: reached from the step's tensor's own
    grad_fn before any grad_fn of another subexpression's tensor or a leaf's AccumulateGrad."""
    names: list[str] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        function = stack.pop()
        if function is None or id(function) in seen:
            continue
        seen.add(id(function))
        owner = owners.get(id(function))
        if (owner is not None and owner not in nodes) or hasattr(function, "variable"):
            continue
        names.append(type(function).__name__)
        stack.extend(reversed([child for child, _ in function.next_functions]))
    return tuple(names)
