"""``deriv hessian``: every second partial derivative, as matrices with their symmetry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from derivcli.commands.argv import CommandSpec
from derivcli.commands.options import (
    AtolOption,
    AtOption,
    DeviceOption,
    DTypeOption,
    ExpressionArgument,
    FdOption,
    JsonOption,
    RtolOption,
    SimplifyOption,
    SimplifyTimeoutOption,
    StrictOption,
    TimeoutOption,
    WrtOption,
)
from derivcli.model.setup import DEFAULT_SIMPLIFY_TIMEOUT, DEFAULT_TIMEOUT, DType, Mode, Setup
from derivcli.pipeline import Route, run

if TYPE_CHECKING:
    from derivcli.model.eval import EvalRequest

ROUTE = Route(work="hessian", view="hessian")


def hessian_command(
    expr: ExpressionArgument,
    at: AtOption = None,
    wrt: WrtOption = None,
    fd: FdOption = False,
    device: DeviceOption = "cpu",
    dtype: DTypeOption = DType.float64,
    rtol: RtolOption = None,
    atol: AtolOption = None,
    strict: StrictOption = False,
    json_output: JsonOption = False,
    simplify: SimplifyOption = False,
    simplify_timeout: SimplifyTimeoutOption = DEFAULT_SIMPLIFY_TIMEOUT,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv hessian`` command: ``partial``'s work at order 2, every ordered pair."""

    def request() -> EvalRequest:
        from derivcli.model.eval import eval_request

        setup = Setup.checked(device=device, dtype=dtype, rtol=rtol, atol=atol, timeout=timeout)
        return eval_request(
            mode=Mode.HESSIAN,
            expression=expr,
            at=at or (),
            wrt=wrt or (),
            order=2,
            fd=fd,
            setup=setup,
            simplify=simplify,
            simplify_timeout=simplify_timeout,
            strict=strict,
        )

    run(ROUTE, request, json_output=json_output)


SPEC = CommandSpec(
    "hessian",
    hessian_command,
    help="Every second partial derivative, by autograd and symbolically, as matrices side by side with "
    "their difference and a symmetry check.\n\n"
    'Example: deriv hessian "x**2*y + y**3" --at x=1,y=2',
)
