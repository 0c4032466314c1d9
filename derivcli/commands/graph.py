"""``deriv graph``: the autograd graph torch builds for an expression at one point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from derivcli.commands.argv import CommandSpec
from derivcli.commands.options import (
    AtOption,
    DeviceOption,
    DTypeOption,
    ExpressionArgument,
    JsonOption,
    TimeoutOption,
    WrtOption,
    file_option,
)
from derivcli.model.setup import DEFAULT_TIMEOUT, DType, Setup
from derivcli.pipeline import Route, run

if TYPE_CHECKING:
    from derivcli.model.graph import GraphRequest

ROUTE = Route(work="graph", view="graph")


def graph_command(
    expr: ExpressionArgument,
    at: AtOption = None,
    wrt: WrtOption = None,
    device: DeviceOption = "cpu",
    dtype: DTypeOption = DType.float64,
    json_output: JsonOption = False,
    dot: Annotated[
        str | None, file_option("--dot", "Also write the graph as Graphviz DOT to FILE ('-': stdout).")
    ] = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv graph`` command."""

    def request() -> GraphRequest:
        from derivcli.model.graph import graph_request

        setup = Setup.checked(device=device, dtype=dtype, timeout=timeout)
        return graph_request(
            expression=expr, at=at or (), wrt=wrt or (), setup=setup, dot=dot, json_output=json_output
        )

    run(ROUTE, request, json_output=json_output)


SPEC = CommandSpec(
    "graph",
    graph_command,
    help="Show the autograd graph torch builds for an expression at a point: every backward node "
    "(AddBackward0, PowBackward0, ...), the operation that made it and its local derivative, and the "
    "tensors' data, grad_fn, grad, is_leaf and requires_grad before and after .backward().\n\n"
    'Example: deriv graph "x**2 + 2*x + 1" --at x=2',
)
