"""``deriv graph`` for people and for Graphviz: a Rich tree of the backward graph, tensor tables, DOT text.

User text is wrapped in :class:`rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from derivcli.errors import ExitStatus
from derivcli.model.graph import (
    GraphNode,
    GraphReport,
    GraphRequest,
    LocalDerivative,
    TensorState,
    walk_paths,
)
from derivcli.model.text import format_number, point_label
from derivcli.render.documents.inspect import graph_document
from derivcli.render.output import speaks_unicode
from derivcli.render.view import BaseView


def _number(value: float | None) -> str:
    """A float as the shortest text that reads back exactly; None as the tutorials print it."""
    return format_number(value, missing="None")


def _local_text(local: LocalDerivative, *, unicode: bool) -> str:
    """'∂/∂(x**2) = 2*x = 4', or '∂/∂(u*v) = 1' when the derivative is a number."""
    partial = "∂" if unicode else "d"
    value = _number(local.value)
    tail = "" if local.derivative in (value, local.exact) else f" = {value}"
    return f"{partial}/{partial}({local.input}) = {local.derivative}{tail}"


def node_label(
    node: GraphNode,
    report: GraphReport,
    *,
    unicode: bool = True,
    flow: float | None = None,
    shared: bool = False,
) -> Text:
    """One node: PyTorch's name, the subexpression and its value, and what the node multiplies in.

    A leaf shows what this path adds to its ``.grad`` (``flow``); the total is under the tables.
    A node that the tree meets again carries its number, which the later mentions name.
    """
    label = Text()
    if shared:
        label.append(f"#{node.index} ", style="dim")
    label.append(node.name, style="bold cyan")
    if node.variable is not None:
        added = flow if flow is not None else report.after[node.variable].grad
        label.append(
            f"  {node.variable}.grad += {_number(added)}" if added is not None else f"  {node.variable}"
        )
        if flow is not None and _visits(report).get(node.index, 0) > 1:
            label.append(" (this path)", style="dim")
        return label
    if node.expression is not None:
        label.append(f"  {node.expression} = {_number(node.value)}")
    if node.local:
        label.append(
            "   " + "; ".join(_local_text(local, unicode=unicode) for local in node.local), style="green"
        )
    return label


def graph_tree(report: GraphReport, *, unicode: bool = True) -> Tree | Text:
    """The backward graph as a tree from the output's grad_fn; a node met again is named, not repeated."""
    if not report.nodes:
        return Text("no backward graph: the output does not depend on a variable that requires grad")
    branches: dict[int, Tree] = {}
    root: Tree | None = None
    visits = _visits(report)
    for visit in walk_paths(report):
        depth, node = visit.depth, visit.node
        shared = visits.get(node.index, 0) > 1
        # Leaves are shown at every path (with that path's part); a shared inner node once, by number.
        numbered = shared and visit.first and node.variable is None
        label = node_label(node, report, unicode=unicode, flow=visit.flow, shared=numbered)
        if not visit.first and node.variable is None:
            label = Text(f"{node.name} (#{node.index}, shown above)", style="dim")
        if root is None:
            root = Tree(label, guide_style="dim")
            branches[depth] = root
            continue
        branches[depth] = branches[depth - 1].add(label)
    assert root is not None
    return root


def _visits(report: GraphReport) -> dict[int, int]:
    """How many times the tree meets each node."""
    counts: dict[int, int] = {}
    for visit in walk_paths(report):
        counts[visit.node.index] = counts.get(visit.node.index, 0) + 1
    return counts


def _state_table(
    title: str, states: Mapping[str, TensorState], report: GraphReport, *, unicode: bool
) -> Table:
    """data, grad_fn, grad, is_leaf and requires_grad of each leaf and of the output."""
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD if unicode else box.ASCII, pad_edge=False
    )
    for heading in ("tensor", "data", "grad_fn", "grad", "is_leaf", "requires_grad"):
        table.add_column(heading, justify="left" if heading in ("tensor", "grad_fn") else "right")
    for name, state in states.items():
        table.add_row(
            Text(f"f({', '.join(report.variables)})" if name == "output" else name),
            Text(_number(state.data)),
            Text(str(state.grad_fn)),
            Text(_number(state.grad)),
            Text(str(state.is_leaf)),
            Text(str(state.requires_grad)),
        )
    return table


def graph_renderable(report: GraphReport, *, unicode: bool = True) -> Group:
    """Header, tree, the tensors before and after ``.backward()``, and the gradients against SymPy."""
    at = point_label(report.at_input)
    header = Text()
    header.append(f"f({', '.join(report.variables)}) = ", style="bold")
    header.append(f"{report.expression} at {at}: {_number(report.value)}")
    lines: list[Text | Table | Tree] = [
        header,
        Text("backward graph, from the output's grad_fn through next_functions to the leaves:", style="bold"),
        graph_tree(report, unicode=unicode),
        _state_table("before .backward()", report.before, report, unicode=unicode),
        _state_table("after .backward()", report.after, report, unicode=unicode),
    ]
    for name, check in report.gradients.items():
        mark = ("✓" if unicode else "yes") if check.agree else ("✗" if unicode else "NO")
        grad = _number(check.autograd)
        value = _number(check.symbolic_value)
        exact = check.exact if check.exact in (None, value) else f"{check.exact} = {value}"
        lines.append(Text(f"{name}.grad = {grad}; symbolic d/d{name} = {check.symbolic} = {exact} {mark}"))
    return Group(*lines)


def print_graph(report: GraphReport, console: Console) -> None:
    """Print the graph report on the given console."""
    unicode = speaks_unicode(console)
    console.print(graph_renderable(report, unicode=unicode))


def _dot_quote(text: str) -> str:
    """A DOT string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def graph_dot(report: GraphReport) -> str:
    """The backward graph as Graphviz DOT (edges in the direction gradients flow)."""
    lines = [
        "digraph backward {",
        "  rankdir=TB;",
        '  node [shape=box, fontname="Helvetica"];',
        f"  label={_dot_quote(f'backward graph of {report.expression}')};",
    ]
    for node in report.nodes:
        label = node_label(node, report, unicode=False).plain.replace("   ", "\n").replace("  ", "\n", 1)
        shape = ", shape=ellipse" if node.variable is not None else ""
        lines.append(f"  n{node.index} [label={_dot_quote(label)}{shape}];")
    for node in report.nodes:
        lines.extend(f"  n{node.index} -> n{child};" for child in node.next)
    lines.append("}")
    return "\n".join(lines) + "\n"


class View(BaseView[GraphRequest, GraphReport]):
    """``deriv graph``: the tree and the tensors, or the JSON document; DOT text to a file or stdout."""

    def present(self, report: GraphReport) -> ExitStatus:
        """Write the DOT file if asked, then the tree or the document (not both on stdout)."""
        dot = self.request.dot
        if dot is not None:
            self.out.open(dot, option="--dot").write(graph_dot(report))
        if self.out.json:
            self.out.write_json(graph_document(report))
        elif dot != "-":
            print_graph(report, self.out.console())
        return ExitStatus.OK
