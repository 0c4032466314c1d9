"""``deriv graph``: the request, and the report of the backward graph at one point (light types)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.files import check_outputs
from derivcli.model.plan import Plan, make_plan, split_names
from derivcli.model.setup import Mode, Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


@dataclass(frozen=True, slots=True)
class GraphRequest:
    """A checked ``deriv graph`` run: one point, the setup, and whether DOT text goes to a file."""

    plan: Plan
    setup: Setup
    dot: str | None = None


def graph_request(
    *,
    expression: str,
    at: Sequence[str],
    wrt: Sequence[str],
    setup: Setup,
    dot: str | None = None,
    json_output: bool = False,
) -> GraphRequest:
    """Check the one point and the outputs (no SymPy, no torch), or raise DerivError."""
    parsed = parse_expression(expression)
    points = [parse_point(text) for text in at]
    if len(points) != 1:
        raise DerivError(
            ErrorKind.BAD_POINT,
            f"deriv graph draws the graph at one point: give exactly one --at (got {len(points)})",
        )
    if dot == "-" and json_output:
        raise DerivError(ErrorKind.BAD_OPTION, "--dot - and --json both write to stdout: send one to a file")
    if dot is not None:
        check_outputs([("--dot", dot)])
    plan = make_plan(
        mode=Mode.PARTIAL, expression=parsed, points=points, wrt=split_names(wrt, option="--wrt")
    )
    return GraphRequest(plan=plan, setup=setup, dot=dot)


@dataclass(frozen=True, slots=True)
class TensorState:
    """A tensor's attributes as the tutorials print them."""

    data: float
    grad_fn: str | None
    grad: float | None
    is_leaf: bool
    requires_grad: bool


@dataclass(frozen=True, slots=True)
class LocalDerivative:
    """The derivative of one node's operation with respect to one of its inputs, at the point."""

    input: str
    derivative: str
    exact: str | None
    value: float


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A backward node: PyTorch's name, the subexpression it came from, and its local derivatives."""

    index: int
    name: str
    expression: str | None
    variable: str | None
    value: float | None
    next: tuple[int, ...]
    local: tuple[LocalDerivative, ...]


@dataclass(frozen=True, slots=True)
class GradientCheck:
    """A leaf's ``.grad`` against the symbolic derivative at the point."""

    autograd: float | None
    symbolic: str
    exact: str | None
    symbolic_value: float
    agree: bool


@dataclass(frozen=True, slots=True)
class GraphReport:
    """The result of ``deriv graph``."""

    input: str
    expression: str
    variables: tuple[str, ...]
    wrt: tuple[str, ...]
    at: Mapping[str, float]
    at_input: Mapping[str, str]
    device: str
    dtype: str
    value: float
    nodes: tuple[GraphNode, ...]
    before: Mapping[str, TensorState]
    after: Mapping[str, TensorState]
    gradients: Mapping[str, GradientCheck]


@dataclass(frozen=True, slots=True)
class Visit:
    """One place of a node in the tree: how deep, whether it is met for the first time, and the gradient
    that reaches it along this path (the product of the local derivatives above it; None if unknown)."""

    depth: int
    node: GraphNode
    first: bool
    flow: float | None


def walk_paths(report: GraphReport) -> Iterator[Visit]:
    """Depth-first over the graph from the output, as a tree shows it, with each path's gradient."""
    if not report.nodes:
        return
    seen: set[int] = set()
    stack: list[tuple[int, int, float | None]] = [(0, 0, 1.0)]
    while stack:
        depth, index, flow = stack.pop()
        node = report.nodes[index]
        first = index not in seen
        seen.add(index)
        yield Visit(depth, node, first, flow)
        if not first:
            continue
        # The local derivatives follow the node's inputs in order, as next does; else the flow is unknown.
        aligned = len(node.local) == len(node.next)
        for position, child in reversed(list(enumerate(node.next))):
            child_flow = flow * node.local[position].value if aligned and flow is not None else None
            stack.append((depth + 1, child, child_flow))


def walk_tree(report: GraphReport) -> Iterator[tuple[int, GraphNode, bool]]:
    """Depth-first (depth, node, first visit) over the graph from the output, as a tree shows it."""
    if not report.nodes:
        return
    seen: set[int] = set()
    stack: list[tuple[int, int]] = [(0, 0)]
    while stack:
        depth, index = stack.pop()
        node = report.nodes[index]
        first = index not in seen
        seen.add(index)
        yield depth, node, first
        if first:
            stack.extend((depth + 1, child) for child in reversed(node.next))
