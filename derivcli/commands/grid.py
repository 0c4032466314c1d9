"""``deriv grid``: both witnesses over a whole grid in bounded memory, with files and plots of every point."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from derivcli.commands.argv import CommandSpec
from derivcli.commands.options import (
    AtolOption,
    AtOption,
    BitsOption,
    DeviceOption,
    DTypeOption,
    ExpressionArgument,
    JsonOption,
    NumOption,
    RangeOption,
    RtolOption,
    StrictOption,
    TimeoutOption,
    WrtOption,
    file_option,
)
from derivcli.model.setup import DEFAULT_NUM, DEFAULT_TIMEOUT, DType, Setup
from derivcli.pipeline import Route, run

if TYPE_CHECKING:
    from derivcli.model.grid import GridRequest

ROUTE = Route(work="grid", view="grid")


def grid_command(
    expr: ExpressionArgument,
    range_: RangeOption = None,
    num: NumOption = str(DEFAULT_NUM),
    wrt: WrtOption = None,
    device: DeviceOption = "cpu",
    dtype: DTypeOption = DType.float64,
    rtol: RtolOption = None,
    atol: AtolOption = None,
    strict: StrictOption = False,
    json_output: JsonOption = False,
    bits: BitsOption = False,
    at: AtOption = None,
    csv: Annotated[
        str | None, file_option("--csv", "Write every point to FILE as CSV ('-': stdout).")
    ] = None,
    jsonl: Annotated[
        str | None, file_option("--jsonl", "Write every point to FILE as JSON Lines ('-': stdout).")
    ] = None,
    plot: Annotated[
        str | None,
        file_option(
            "--plot",
            "Plot f, both derivatives and their difference to FILE (.png or .svg; needs matplotlib), "
            "or with '-' draw f and the derivative in the terminal (one variable; needs plotext).",
        ),
    ] = None,
    chunk_size: Annotated[
        str | None,
        typer.Option(
            "--chunk-size",
            metavar="N",
            help="Points evaluated at once [default: 131072 on the CPU, 8388608 on a GPU].",
            show_default=False,
        ),
    ] = None,
    compile_chunks: Annotated[
        bool,
        typer.Option(
            "--compile",
            help="Run chunks through torch.compile: about 2 to 20 s to compile, repaid only on grids of "
            "hundreds of millions of points or more (see the README).",
        ),
    ] = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv grid`` command."""

    def request() -> GridRequest:
        from derivcli.model.grid import grid_request

        setup = Setup.checked(device=device, dtype=dtype, rtol=rtol, atol=atol, timeout=timeout)
        return grid_request(
            expression=expr,
            ranges=range_ or (),
            num=num,
            wrt=wrt or (),
            setup=setup,
            json_output=json_output,
            chunk_size=chunk_size,
            compile_chunks=compile_chunks,
            csv=csv,
            jsonl=jsonl,
            plot=plot,
            strict=strict,
            progress=sys.stderr.isatty(),
            bits=bits,
            at=at or (),
        )

    run(ROUTE, request, json_output=json_output)


SPEC = CommandSpec(
    "grid",
    grid_command,
    help="Derivatives over a whole grid: autograd with the sum trick against the symbolic derivative, "
    "point by point, in bounded memory.\n\n"
    'Examples: deriv grid "relu(x)" --range x=-2:2 --plot - (a plot in the terminal)\n\n'
    'deriv grid "relu(x)" --range x=-10:10 --num 1001 --plot relu.png',
)
