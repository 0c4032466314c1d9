"""``deriv implicit``: dy/dx on a curve F(x, y) = 0, symbolically and from autograd's gradient of F."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from derivcli.commands.argv import CommandSpec
from derivcli.commands.options import (
    AtOption,
    DeviceOption,
    DTypeOption,
    JsonOption,
    StrictOption,
    TimeoutOption,
    WrtOption,
)
from derivcli.model.setup import DEFAULT_TIMEOUT, DType, Setup
from derivcli.pipeline import Route, run

if TYPE_CHECKING:
    from derivcli.model.implicit import ImplicitRequest

ROUTE = Route(work="implicit", view="implicit")


def implicit_command(
    equation: Annotated[
        str, typer.Argument(metavar="EQUATION", help="The curve, 'lhs = rhs' (or F alone, for F = 0).")
    ],
    at: AtOption = None,
    wrt: WrtOption = None,
    order: Annotated[
        int,
        typer.Option(
            "--order", metavar="N", help="1 for dy/dx, 2 for d2y/dx2 too [default: 1].", show_default=False
        ),
    ] = 1,
    device: DeviceOption = "cpu",
    dtype: DTypeOption = DType.float64,
    strict: StrictOption = False,
    json_output: JsonOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv implicit`` command."""

    def request() -> ImplicitRequest:
        from derivcli.model.implicit import implicit_request

        setup = Setup.checked(device=device, dtype=dtype, timeout=timeout)
        return implicit_request(
            equation=equation, at=at or (), wrt=wrt or (), order=order, setup=setup, strict=strict
        )

    run(ROUTE, request, json_output=json_output)


SPEC = CommandSpec(
    "implicit",
    implicit_command,
    help="Differentiate a curve F(x, y) = 0 implicitly: dy/dx = -F_x/F_y symbolically, its value at each "
    "point, and autograd's -F_x/F_y from the gradient of F; --order 2 adds d2y/dx2. --wrt names x; the "
    "other variable is y.\n\n"
    'Example: deriv implicit "x**2 + y**2 = 25" --wrt x --at x=3,y=4',
)
