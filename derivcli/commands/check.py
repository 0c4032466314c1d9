"""``deriv check``: a custom torch.autograd.Function checked against an expression."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from derivcli.commands.argv import CommandSpec, DerivCommand
from derivcli.commands.options import EXIT_STATUS_EPILOG, JsonOption, TimeoutOption
from derivcli.model.setup import DEFAULT_TIMEOUT
from derivcli.pipeline import Route, run

if TYPE_CHECKING:
    from derivcli.model.check import CheckRequest

ROUTE = Route(work="check", view="check")


def check_command(
    function: Annotated[
        str,
        typer.Argument(metavar="FILE.py:NAME", help="The file and the Function in it, e.g. my_ops.py:SQ."),
    ],
    against: Annotated[
        str,
        typer.Option(
            "--against",
            metavar="EXPR",
            help="What the Function computes, e.g. 'x**2'; its variables are the Function's inputs, in the "
            "order they first appear.",
        ),
    ],
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            metavar="POINT",
            help="A point to check at, as for eval; repeat for several [default: three points with values "
            "0.5, 1.25 and 2].",
        ),
    ] = None,
    taylor: Annotated[
        bool,
        typer.Option(
            "--taylor",
            help="Add the Taylor remainder test: with a random direction d and cotangent u, "
            "|u.(F(x+hd) - F(x)) - h u.J d| shrinks like h**2 when backward is right, like h when it is "
            "wrong; the fitted order needs no eps and no tolerance.",
        ),
    ] = False,
    json_output: JsonOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv check`` command."""

    def request() -> CheckRequest:
        from derivcli.model.check import check_request

        return check_request(function=function, against=against, at=at or (), timeout=timeout, taylor=taylor)

    run(ROUTE, request, json_output=json_output)


SPEC = CommandSpec(
    "check",
    check_command,
    cls=DerivCommand,
    epilog=EXIT_STATUS_EPILOG + " For check, 2 also when the file cannot be loaded or its code raises.",
    help="Check a custom torch.autograd.Function against an expression: forward, backward with "
    "grad_output=1 and with other upstream gradients, batched inputs, gradcheck and gradgradcheck.\n\n"
    "This RUNS CODE: it imports the Python file you name, as python would run it. It is the only "
    "command of deriv that runs code it did not write, and only the file given here.\n\n"
    'Example: deriv check my_ops.py:SQ --against "x**2" --at x=2',
)
