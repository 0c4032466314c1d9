"""``deriv steps``: the derivation rule by rule, with the exact value and autograd's at every step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from derivcli.commands.argv import CommandSpec
from derivcli.commands.options import (
    AtOption,
    DeviceOption,
    DTypeOption,
    ExpressionArgument,
    JsonOption,
    LatexOption,
    StrictOption,
    TimeoutOption,
    WrtOption,
)
from derivcli.model.setup import DEFAULT_TIMEOUT, DType, Setup
from derivcli.pipeline import Route, run

if TYPE_CHECKING:
    from derivcli.model.steps import StepsRequest

ROUTE = Route(work="steps", view="steps")


def steps_command(
    expr: ExpressionArgument,
    at: AtOption = None,
    wrt: WrtOption = None,
    device: DeviceOption = "cpu",
    dtype: DTypeOption = DType.float64,
    latex: LatexOption = False,
    strict: StrictOption = False,
    json_output: JsonOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv steps`` command."""

    def request() -> StepsRequest:
        from derivcli.model.steps import steps_request

        setup = Setup.checked(device=device, dtype=dtype, timeout=timeout)
        return steps_request(
            expression=expr, at=at or (), wrt=wrt or (), setup=setup, latex=latex, strict=strict
        )

    run(ROUTE, request, json_output=json_output)


SPEC = CommandSpec(
    "steps",
    steps_command,
    help="Show the derivation rule by rule (sum, product, quotient, chain, power, each function's rule). "
    "With --at, each step shows its exact value and autograd's, with the backward nodes that compute it, "
    "and the first step where the two part is marked, with the reason.\n\n"
    'Example: deriv steps "sqrt(x**2)" --at 0',
)
