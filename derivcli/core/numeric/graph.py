"""The autograd graph of an expression at a point, read from torch itself.

The expression (as written) is evaluated on 0-d leaf tensors, as the
tutorials do; an observer records which subexpression made each intermediate
tensor; ``.backward()`` runs; and the backward graph is walked from the
output's ``grad_fn`` through ``next_functions`` down to the leaves'
``AccumulateGrad`` nodes, keeping PyTorch's own node names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from derivcli.core.numeric.device import DTYPES, Tensor, resolve_device
from derivcli.core.numeric.translate import compile_tree
from derivcli.model.graph import TensorState
from derivcli.parsing.tree import Node, ParsedExpression


@dataclass(frozen=True, slots=True)
class BackwardNode:
    """One node of the backward graph.

    ``expression`` is the subexpression whose tensor the node belongs to
    (None for ``AccumulateGrad``, which belongs to a leaf: ``variable``);
    ``next`` are the indices of the nodes it passes gradients on to.
    """

    index: int
    name: str
    expression: Node | None
    variable: str | None
    value: float | None
    next: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TracedGraph:
    """The backward graph, the tensors' attributes before and after ``.backward()``, and the gradients."""

    nodes: tuple[BackwardNode, ...]
    before: Mapping[str, TensorState]
    after: Mapping[str, TensorState]
    output: float
    gradients: Mapping[str, float | None]
    device: str
    dtype: str


def trace_graph(
    parsed: ParsedExpression,
    *,
    variables: Sequence[str],
    wrt: Sequence[str],
    point: Mapping[str, float],
    device: str,
    dtype: str,
) -> TracedGraph:
    """Evaluate at one point on leaf tensors, run ``.backward()``, and read the graph torch built."""
    torch_device = resolve_device(device, dtype)
    leaves = {
        name: torch.tensor(point[name], dtype=DTYPES[dtype], device=torch_device, requires_grad=name in wrt)
        for name in variables
    }
    made: list[tuple[Node, Tensor]] = []
    function = compile_tree(parsed, observe=lambda node, tensor: made.append((node, tensor)))
    output = function(leaves)
    # The last tensor recorded for a grad_fn is the widest subexpression that made it.
    expressions = {id(tensor.grad_fn): (node, tensor) for node, tensor in made if tensor.grad_fn is not None}
    before = {**{name: _state(leaf) for name, leaf in leaves.items()}, "output": _state(output)}
    nodes = _walk(output.grad_fn, expressions, {id(leaf): name for name, leaf in leaves.items()})
    if output.requires_grad:
        output.backward()  # type: ignore[no-untyped-call]
    after = {**{name: _state(leaf) for name, leaf in leaves.items()}, "output": _state(output)}
    return TracedGraph(
        nodes=nodes,
        before=before,
        after=after,
        output=float(output.detach()),
        gradients={name: after[name].grad for name in wrt},
        device=str(torch_device),
        dtype=dtype,
    )


def _state(tensor: Tensor) -> TensorState:
    """data, grad_fn, grad, is_leaf and requires_grad of a tensor (grad only read on leaves)."""
    # Reading .grad of a non-leaf makes torch warn; it is None there anyway.
    grad = tensor.grad if tensor.is_leaf else None
    return TensorState(
        data=float(tensor.detach()),
        grad_fn=None if tensor.grad_fn is None else type(tensor.grad_fn).__name__,
        grad=None if grad is None else float(grad),
        is_leaf=tensor.is_leaf,
        requires_grad=tensor.requires_grad,
    )


def _walk(
    root: Any, expressions: Mapping[int, tuple[Node, Tensor]], leaf_names: Mapping[int, str]
) -> tuple[BackwardNode, ...]:
    """Every node reachable from ``root``, depth first, each once, numbered in the order first met."""
    if root is None:
        return ()
    order: dict[int, int] = {}
    found: list[Any] = []
    stack = [root]
    while stack:
        function = stack.pop()
        if id(function) in order:
            continue
        order[id(function)] = len(found)
        found.append(function)
        children = [child for child, _ in function.next_functions if child is not None]
        stack.extend(reversed(children))
    nodes = []
    for function in found:
        variable = getattr(function, "variable", None)
        made = expressions.get(id(function))
        nodes.append(
            BackwardNode(
                index=order[id(function)],
                name=type(function).__name__,
                expression=None if made is None else made[0],
                variable=None if variable is None else leaf_names.get(id(variable)),
                value=None if made is None else float(made[1].detach()),
                next=tuple(order[id(child)] for child, _ in function.next_functions if child is not None),
            )
        )
    return tuple(nodes)
