"""``deriv eval`` (and ``deriv partial``): derivatives at points, symbolically and by autograd."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from derivcli.commands.argv import CommandSpec
from derivcli.commands.options import (
    AtolOption,
    BitsOption,
    DeviceOption,
    DTypeOption,
    ExpressionArgument,
    FdOption,
    JsonOption,
    LatexOption,
    OrderOption,
    RtolOption,
    SimplifyOption,
    SimplifyTimeoutOption,
    StrictClarkeOption,
    StrictOption,
    StrictUnexplainedOption,
    SymbolicAtOption,
    TangentOption,
    TimeoutOption,
    WrtOption,
)
from derivcli.model.setup import DEFAULT_SIMPLIFY_TIMEOUT, DEFAULT_TIMEOUT, DType, Mode, Setup
from derivcli.pipeline import Route, run

if TYPE_CHECKING:
    from derivcli.model.eval import EvalRequest

ROUTE = Route(work="eval", view="eval")


def derivatives_command(mode: Mode) -> Callable[..., None]:
    """The function of ``eval``'s options for ``mode``: ``partial`` takes the same ones."""

    def command(
        expr: ExpressionArgument,
        at: SymbolicAtOption = None,
        wrt: WrtOption = None,
        order: OrderOption = 1,
        fd: FdOption = False,
        bits: BitsOption = False,
        tangent: TangentOption = False,
        latex: LatexOption = False,
        device: DeviceOption = "cpu",
        dtype: DTypeOption = DType.float64,
        rtol: RtolOption = None,
        atol: AtolOption = None,
        strict: StrictOption = False,
        strict_clarke: StrictClarkeOption = False,
        strict_unexplained: StrictUnexplainedOption = False,
        json_output: JsonOption = False,
        simplify: SimplifyOption = False,
        simplify_timeout: SimplifyTimeoutOption = DEFAULT_SIMPLIFY_TIMEOUT,
        timeout: TimeoutOption = DEFAULT_TIMEOUT,
    ) -> None:
        def request() -> EvalRequest:
            from derivcli.model.eval import eval_request

            setup = Setup.checked(device=device, dtype=dtype, rtol=rtol, atol=atol, timeout=timeout)
            return eval_request(
                mode=mode,
                expression=expr,
                at=at or (),
                wrt=wrt or (),
                order=order,
                fd=fd,
                setup=setup,
                simplify=simplify,
                simplify_timeout=simplify_timeout,
                strict=strict,
                bits=bits,
                strict_clarke=strict_clarke,
                strict_unexplained=strict_unexplained,
                tangent=tangent,
                latex=latex,
            )

        run(ROUTE, request, json_output=json_output)

    return command


SPEC = CommandSpec(
    "eval",
    derivatives_command(Mode.EVAL),
    help="Differentiate a function of one variable, symbolically and by autograd.\n\n"
    'Example: deriv eval "6*x**2+2*x+4" --at x=3 (add --order 2 for the second derivative)',
)
