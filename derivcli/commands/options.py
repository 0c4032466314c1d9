"""The options several commands share, declared once: names, metavars, help texts and completion.

Declaring an option imports nothing heavy: these are read for ``--help`` and
for every Tab press.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from derivcli.model.setup import DEFAULT_NUM, DEVICE_NAMES, DType

EXIT_STATUS_EPILOG = (
    "Exit status: 0 success; 1 autograd and symbolic disagree (with --strict) or a deriv check fails; "
    "2 bad input, usage or an unavailable device; 3 internal error (a bug: please report it); "
    "130 interrupted."
)

EXPRESSION_HELP = (
    "The expression, e.g. '6*x**2+2*x+4' or '6x^2 + 2x + 4'. Quote it for the shell. "
    "A leading minus is fine: '-x**2'."
)


def complete_device(incomplete: str) -> list[str]:
    """Device names for shell completion."""
    return [name for name in DEVICE_NAMES if name.startswith(incomplete)]


_POINT_HELP = (
    "A point: 'x=3', 'u=1,v=2', or a bare value '3' for one variable. Values are constant expressions"
)

AtOption = Annotated[
    list[str] | None,
    typer.Option(
        "--at", metavar="POINT", help=f"{_POINT_HELP} ('pi/4', '-1e-3'). Repeat for several points."
    ),
]
#: --at of eval and partial, which also take symbolic points.
SymbolicAtOption = Annotated[
    list[str] | None,
    typer.Option(
        "--at",
        metavar="POINT",
        help=f"{_POINT_HELP} ('pi/4', '-1e-3'), or expressions in new names for a symbolic point "
        "('x=a'). Repeat for several points.",
    ),
]
WrtOption = Annotated[
    list[str] | None,
    typer.Option("--wrt", metavar="VAR", help="Differentiate with respect to VAR (repeat or 'u,v')."),
]
DeviceOption = Annotated[
    str,
    typer.Option(
        "--device", metavar="DEVICE", help="cpu, cuda, cuda:N, mps, or auto.", autocompletion=complete_device
    ),
]
DTypeOption = Annotated[DType, typer.Option("--dtype", help="Floating-point type of the autograd side.")]
RtolOption = Annotated[
    float | None,
    typer.Option(
        "--rtol", metavar="RTOL", help="Relative tolerance [default: 1e-9 for float64, 1e-5 for float32]."
    ),
]
AtolOption = Annotated[
    float | None,
    typer.Option(
        "--atol", metavar="ATOL", help="Absolute tolerance [default: 1e-12 for float64, 1e-6 for float32]."
    ),
]
StrictOption = Annotated[bool, typer.Option("--strict", help="Exit with status 1 if any value disagrees.")]
StrictClarkeOption = Annotated[
    bool,
    typer.Option(
        "--strict-clarke",
        help="Exit with status 1 only if autograd lies outside the Clarke subdifferential at a kink.",
    ),
]
StrictUnexplainedOption = Annotated[
    bool,
    typer.Option(
        "--strict-unexplained",
        help="Exit with status 1 only for disagreements that no note explains (a kink, the domain, "
        "overflow, the rounding of the point, precision).",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one strict JSON document instead of a table.")
]
SimplifyOption = Annotated[
    bool, typer.Option("--simplify", help="Show derivatives through SymPy's full simplify (can be slow).")
]
SimplifyTimeoutOption = Annotated[
    float, typer.Option("--simplify-timeout", metavar="SECONDS", help="Time budget of --simplify.")
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="Time budget of the whole computation, symbolic and numeric (start-up aside); when it runs "
        "out, deriv names the step and gives autograd's answer alone if it has it.",
    ),
]
ExpressionArgument = Annotated[str, typer.Argument(metavar="EXPR", help=EXPRESSION_HELP, show_default=False)]


OrderOption = Annotated[
    int,
    typer.Option(
        "--order",
        metavar="N",
        help="Order of the derivatives: 2 for the second, 3 for the third [default: 1].",
        show_default=False,
    ),
]
FdOption = Annotated[
    bool,
    typer.Option(
        "--fd",
        help="Add a third witness: a central finite difference in float64 with Richardson extrapolation "
        "(first and second derivatives).",
    ),
]
TangentOption = Annotated[
    bool, typer.Option("--tangent", help="Give the tangent line at each point, y = m*(x - x0) + y0, exactly.")
]
LatexOption = Annotated[
    bool, typer.Option("--latex", help="Print f and each derivative in LaTeX too (JSON: the latex field).")
]
BitsOption = Annotated[
    bool,
    typer.Option(
        "--bits",
        help="Measure floating-point error in bits (autograd and the symbolic derivative in the dtype, "
        "against the exact value rounded once), name the operation that loses them, and list "
        "rewrites that lose fewer.",
    ),
]


RangeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--range",
        metavar="VAR=START:STOP[:NUM]",
        help="A variable's range, e.g. 'x=-10:10' or 'x=-pi:pi:1000' (NUM overrides --num). "
        "Repeat for each variable; the grid is their Cartesian product.",
    ),
]
NumOption = Annotated[
    str,
    typer.Option(
        "--num",
        metavar="N",
        help=f"Points per axis, ends included; '1e6' and '1_000_000' work too [default: {DEFAULT_NUM}].",
        show_default=False,
    ),
]


def file_option(name: str, help_text: str) -> Any:
    """A ``NAME FILE`` option of ``deriv grid``."""
    return typer.Option(name, metavar="FILE", help=help_text, show_default=False)
