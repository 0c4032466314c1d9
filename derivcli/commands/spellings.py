"""``deriv spellings``: every torch spelling of the kink functions of an expression, through autograd."""

from __future__ import annotations

from typing import TYPE_CHECKING

from derivcli.commands.argv import CommandSpec
from derivcli.commands.options import (
    AtOption,
    DeviceOption,
    DTypeOption,
    ExpressionArgument,
    JsonOption,
    StrictClarkeOption,
    TimeoutOption,
    WrtOption,
)
from derivcli.model.setup import DEFAULT_TIMEOUT, DType, Setup
from derivcli.pipeline import Route, run

if TYPE_CHECKING:
    from derivcli.model.spellings import SpellingsRequest

ROUTE = Route(work="spellings", view="spellings")


def spellings_command(
    expr: ExpressionArgument,
    at: AtOption = None,
    wrt: WrtOption = None,
    device: DeviceOption = "cpu",
    dtype: DTypeOption = DType.float64,
    strict_clarke: StrictClarkeOption = False,
    json_output: JsonOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv spellings`` command."""

    def request() -> SpellingsRequest:
        from derivcli.model.spellings import spellings_request

        setup = Setup.checked(device=device, dtype=dtype, timeout=timeout)
        return spellings_request(
            expression=expr, at=at or (), wrt=wrt or (), setup=setup, strict_clarke=strict_clarke
        )

    run(ROUTE, request, json_output=json_output)


SPEC = CommandSpec(
    "spellings",
    spellings_command,
    help="Run every torch spelling of the expression's kink functions (relu, abs, max, min, heaviside) "
    "through autograd at one point, and say which derivatives lie in the Clarke subdifferential. The "
    "values come from the installed torch: they change between releases.\n\n"
    'Example: deriv spellings "relu(x)" --at 0',
)
