"""``deriv jacobian``: the Jacobian of a vector function written as comma-separated components."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from derivcli.commands.argv import CommandSpec
from derivcli.commands.options import (
    AtolOption,
    AtOption,
    DeviceOption,
    DTypeOption,
    FdOption,
    JsonOption,
    RtolOption,
    StrictOption,
    TimeoutOption,
    WrtOption,
)
from derivcli.model.setup import DEFAULT_TIMEOUT, DType, Setup
from derivcli.pipeline import Route, run

if TYPE_CHECKING:
    from derivcli.model.jacobian import JacobianRequest

ROUTE = Route(work="jacobian", view="jacobian")

ComponentsArgument = Annotated[
    str,
    typer.Argument(
        metavar="EXPRS",
        help="Components separated by commas, e.g. 'x*y, x + y, sin(x)' (atan2(y, x) stays one).",
        show_default=False,
    ),
]


def jacobian_command(
    expr: ComponentsArgument,
    at: AtOption = None,
    wrt: WrtOption = None,
    fd: FdOption = False,
    device: DeviceOption = "cpu",
    dtype: DTypeOption = DType.float64,
    rtol: RtolOption = None,
    atol: AtolOption = None,
    strict: StrictOption = False,
    json_output: JsonOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv jacobian`` command."""

    def request() -> JacobianRequest:
        from derivcli.model.jacobian import jacobian_request

        setup = Setup.checked(device=device, dtype=dtype, rtol=rtol, atol=atol, timeout=timeout)
        return jacobian_request(text=expr, at=at or (), wrt=wrt or (), setup=setup, fd=fd, strict=strict)

    run(ROUTE, request, json_output=json_output)


SPEC = CommandSpec(
    "jacobian",
    jacobian_command,
    help="The Jacobian of a vector function written as comma-separated components: each component's "
    "gradient, by autograd and symbolically.\n\n"
    'Example: deriv jacobian "x*y, x + y, sin(x)" --at x=1,y=2',
)
