"""The ``deriv`` command line: options in, one core call, rendered output out.

Only parsing and planning (no SymPy, no torch) are imported at start-up, so
``--help``, ``--version``, completion and refusals of bad input stay fast. A
command's core runs in the worker process (:mod:`derivcli.worker`) under the
time budget of ``--timeout``; SymPy and torch are imported there, and this
process renders the frozen report that comes back.
"""

from __future__ import annotations

import atexit
import contextlib
import enum
import importlib.util
import io
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

from derivcli import __version__
from derivcli.errors import DerivError, ErrorKind, ExitStatus, WorkerBugError, internal_message
from derivcli.model.setup import DEFAULT_NUM, DEFAULT_TIMEOUT, Mode, check_timeout
from derivcli.render.messages import error_lines, printable

if TYPE_CHECKING:
    from rich.console import Console

    from derivcli.core.check import CheckReport
    from derivcli.core.compare import Options
    from derivcli.core.graph import GraphReport
    from derivcli.core.jacobian import JacobianReport
    from derivcli.model.eval import AutogradOnly, Report
    from derivcli.model.grid import GridReport
    from derivcli.model.gridplan import GridChunk, GridPlan
    from derivcli.model.plan import Plan
    from derivcli.parsing import PointSpec

T = TypeVar("T")
#: Most worker processes of one deriv batch.
MAX_JOBS = 64
#: Usage errors quote what was typed; longer quotes are cut.
MAX_USAGE_MESSAGE = 200

EXIT_STATUS_EPILOG = (
    "Exit status: 0 success; 1 autograd and symbolic disagree (with --strict) or a deriv check fails; "
    "2 bad input, usage or an unavailable device; 3 internal error (a bug: please report it); "
    "130 interrupted."
)

EXPRESSION_HELP = (
    "The expression, e.g. '6*x**2+2*x+4' or '6x^2 + 2x + 4'. Quote it for the shell. "
    "A leading minus is fine: '-x**2'."
)


class DType(enum.StrEnum):
    """Floating-point types autograd can run in."""

    float64 = "float64"
    float32 = "float32"


def _complete_device(incomplete: str) -> list[str]:
    """Device names for shell completion."""
    return [name for name in ("cpu", "cuda", "mps", "auto") if name.startswith(incomplete)]


def _parse_for_completion(command: Any, ctx: Any, args: list[str]) -> list[str]:
    """Parse a command line as shell completion needs it: which parameters were given, values unconverted.

    Converting values is what Typer does next, and it builds pydantic adapters
    for that (about 60 ms of imports); completion never uses the values, and a
    Tab press should cost little more than ``import typer``.
    """
    from typer._click.core import ParameterSource

    parser = command.make_parser(ctx)
    opts, rest, _ = parser.parse_args(args=args)
    for param in command.get_params(ctx):
        if param.name is None:
            continue
        given = param.name in opts
        ctx.params.setdefault(param.name, opts.get(param.name))
        ctx.set_parameter_source(
            param.name, ParameterSource.COMMANDLINE if given else ParameterSource.DEFAULT
        )
    ctx.args = rest
    ctx._opt_prefixes.update(parser._opt_prefixes)
    return list(rest)


class DerivGroup(TyperGroup):
    """deriv's top level: as Typer's, with a completion parse that skips value conversion."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Parse the top-level options; under completion, without converting values."""
        if not ctx.resilient_parsing:
            return list(super().parse_args(ctx, args))
        rest = _parse_for_completion(self, ctx, args)
        if rest:
            ctx._protected_args, ctx.args = rest[:1], rest[1:]
        return list(ctx.args)


class DerivCommand(TyperCommand):
    """A deriv command: as Typer's, with a completion parse that skips value conversion."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Parse the command's options; under completion, without converting values."""
        if ctx.resilient_parsing:
            return _parse_for_completion(self, ctx, args)
        return list(super().parse_args(ctx, args))


class ExpressionCommand(DerivCommand):
    """A command whose expression argument may start with '-' (``deriv eval "-x**2"``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Let a leading-minus expression through, and answer usage errors in JSON under --json."""
        args = move_dash_expression(args, self.params, help_options=ctx.help_option_names)
        if ctx.resilient_parsing:
            return _parse_for_completion(self, ctx, args)
        # Click consumes the list it is given: decide about JSON before it does.
        wants_json = "--json" in args
        try:
            return super().parse_args(ctx, args)
        except TyperException as error:
            error_text = error.format_message()
            if wants_json:
                document = {"error": {"kind": ErrorKind.USAGE.value, "message": error_text, "column": None}}
                from derivcli.render.jsondoc import dumps

                sys.stdout.write(dumps(document) + "\n")
            # One line, as every other error: the message (a hostile option can be thousands of
            # characters long, so it is cut) and where to read more.
            if len(error_text) > MAX_USAGE_MESSAGE:
                error_text = error_text[:MAX_USAGE_MESSAGE] + f"... ({len(error_text):,} characters)"
            typer.echo(f"deriv: error: {printable(error_text)} (see 'deriv {self.name} --help')", err=True)
            raise typer.Exit(ExitStatus.BAD_INPUT) from None


def move_dash_expression(
    args: Sequence[str], params: Sequence[Any], *, help_options: Sequence[str] = ()
) -> list[str]:
    """Move a first positional that starts with '-' behind ``--`` so it is not read as an option.

    Option values (``--at -1``) are skipped, so only the expression moves.
    """
    takes_value: set[str] = set()
    known: set[str] = set(help_options)
    for param in params:
        names = [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]
        if getattr(param, "param_type_name", "") != "option":
            continue
        known.update(names)
        if not getattr(param, "is_flag", False) and getattr(param, "nargs", 1) == 1:
            takes_value.update(names)
    out: list[str] = []
    moved: str | None = None
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            break
        if token in takes_value:
            out.extend(args[index : index + 2])
            index += 2
            continue
        if token.startswith("--") or token in known:
            out.append(token)
        elif token.startswith("-") and len(token) > 1 and moved is None:
            moved = token
        elif not token.startswith("-"):
            # A positional already came: leave the rest for click to judge.
            out.extend(args[index:])
            index = len(args)
            break
        else:
            out.append(token)
        index += 1
    rest = list(args[index + 1 :]) if index < len(args) else []
    if moved is None:
        return out + (["--", *rest] if index < len(args) else [])
    return [*out, "--", moved, *rest]


app = typer.Typer(
    name="deriv",
    cls=DerivGroup,
    help=(
        "Derivatives computed two independent ways, symbolically (SymPy) and by automatic "
        "differentiation (PyTorch), side by side."
    ),
    epilog=EXIT_STATUS_EPILOG,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit()


def version_text() -> str:
    """deriv's version with torch's and sympy's, read from installed metadata (no import)."""
    parts = [f"deriv {__version__}"]
    for package in ("torch", "sympy"):
        version = installed_version(package)
        parts.append(f"{package} {version}" if version is not None else f"{package} not installed")
    return f"{parts[0]} ({', '.join(parts[1:])})"


def installed_version(package: str) -> str | None:
    """A package's version from the name of its ``.dist-info`` folder on sys.path (None if absent).

    Listing a few folders takes well under a millisecond; importlib.metadata
    costs 20 ms to import, a third of ``deriv --version``. It remains the
    fallback for installs whose folder name says nothing.
    """
    prefix = f"{package}-"
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.lower().startswith(prefix) and name.endswith(".dist-info"):
                return name[len(prefix) : -len(".dist-info")]
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@app.callback()
def _main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show deriv's, torch's and sympy's versions and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Derivatives computed symbolically and by autograd, side by side."""


AtOption = Annotated[
    list[str] | None,
    typer.Option(
        "--at",
        metavar="POINT",
        help="A point: 'x=3', 'u=1,v=2', or a bare value '3' for one variable. Values are "
        "constant expressions ('pi/4', '-1e-3'). Repeat for several points.",
    ),
]
WrtOption = Annotated[
    list[str] | None,
    typer.Option("--wrt", metavar="VAR", help="Differentiate with respect to VAR (repeat or 'u,v')."),
]
DeviceOption = Annotated[
    str,
    typer.Option(
        "--device", metavar="DEVICE", help="cpu, cuda, cuda:N, mps, or auto.", autocompletion=_complete_device
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
        help="Time budget of the symbolic side (differentiation, exact evaluation); when it runs out, "
        "deriv names the step and gives autograd's answer alone.",
    ),
]
ExpressionArgument = Annotated[str, typer.Argument(metavar="EXPR", help=EXPRESSION_HELP, show_default=False)]


OrderOption = Annotated[
    int,
    typer.Option(
        "--order",
        metavar="N",
        help="Order of the derivatives: 2 for the second, 3 for the third [default: 1].",
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


@dataclass(frozen=True, slots=True)
class EvalRequest:
    """The options of one ``eval``, ``partial`` or ``hessian`` run, as typed."""

    mode: Mode
    expression: str
    at: tuple[str, ...]
    wrt: tuple[str, ...]
    device: str = "cpu"
    dtype: str = "float64"
    rtol: float | None = None
    atol: float | None = None
    strict: bool = False
    json_output: bool = False
    simplify: bool = False
    simplify_timeout: float = 5.0
    order: int = 1
    fd: bool = False
    timeout: float = DEFAULT_TIMEOUT


def _evaluate(request: EvalRequest) -> NoReturn:
    """Parse, plan and compare; render the report or the error; exit with the right status."""

    def action() -> ExitStatus:
        plan = _eval_plan(request)
        try:
            report = _in_worker(_compare_plan, plan, request, timeout=request.timeout, device=request.device)
        except DerivError as error:
            # Autograd alone needs the points and the translation: if those ran out, it cannot answer.
            from derivcli.model.eval import AUTOGRAD_STEPS

            if error.kind is ErrorKind.TIMEOUT and error.step not in AUTOGRAD_STEPS:
                _autograd_fallback(plan, request, error)
            raise
        if request.mode is not Mode.HESSIAN:
            _print_report(report, json_output=request.json_output)
        elif request.json_output:
            from derivcli.render.jsondoc import dumps, hessian_document

            sys.stdout.write(dumps(hessian_document(report)) + "\n")
        else:
            from derivcli.render.matrices import print_hessian

            print_hessian(report, _console(sys.stdout))
        return ExitStatus.DISAGREEMENT if request.strict and not report.all_agree else ExitStatus.OK

    _guarded(action, json_output=request.json_output)


def _make_command(mode: Mode) -> Any:
    """The Typer function of ``eval`` or ``partial``: the same options, a different mode."""

    def command(
        expr: ExpressionArgument,
        at: AtOption = None,
        wrt: WrtOption = None,
        order: OrderOption = 1,
        fd: FdOption = False,
        device: DeviceOption = "cpu",
        dtype: DTypeOption = DType.float64,
        rtol: RtolOption = None,
        atol: AtolOption = None,
        strict: StrictOption = False,
        json_output: JsonOption = False,
        simplify: SimplifyOption = False,
        simplify_timeout: SimplifyTimeoutOption = 5.0,
        timeout: TimeoutOption = DEFAULT_TIMEOUT,
    ) -> None:
        _evaluate(
            EvalRequest(
                mode=mode,
                expression=expr,
                at=tuple(at or ()),
                wrt=tuple(wrt or ()),
                device=device,
                dtype=dtype.value,
                rtol=rtol,
                atol=atol,
                strict=strict,
                json_output=json_output,
                simplify=simplify,
                simplify_timeout=simplify_timeout,
                order=order,
                fd=fd,
                timeout=timeout,
            )
        )

    return command


app.command(
    "eval",
    cls=ExpressionCommand,
    epilog=EXIT_STATUS_EPILOG,
    help="Differentiate a function of one variable, symbolically and by autograd.\n\n"
    'Example: deriv eval "6*x**2+2*x+4" --at x=3 (add --order 2 for the second derivative)',
)(_make_command(Mode.EVAL))

app.command(
    "partial",
    cls=ExpressionCommand,
    epilog=EXIT_STATUS_EPILOG,
    help="Partial derivatives with respect to every variable (or those given with --wrt).\n\n"
    'Example: deriv partial "u**3+v**2+4*u*v" --at u=3,v=4',
)(_make_command(Mode.PARTIAL))


@app.command(
    "hessian",
    cls=ExpressionCommand,
    epilog=EXIT_STATUS_EPILOG,
    help="Every second partial derivative, by autograd and symbolically, as matrices side by side with "
    "their difference and a symmetry check.\n\n"
    'Example: deriv hessian "x**2*y + y**3" --at x=1,y=2',
)
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
    simplify_timeout: SimplifyTimeoutOption = 5.0,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv hessian`` command: ``partial``'s work at order 2, every ordered pair."""
    _make_command(Mode.HESSIAN)(
        expr,
        at=at,
        wrt=wrt,
        order=2,
        fd=fd,
        device=device,
        dtype=dtype,
        rtol=rtol,
        atol=atol,
        strict=strict,
        json_output=json_output,
        simplify=simplify,
        simplify_timeout=simplify_timeout,
        timeout=timeout,
    )


def _guarded(action: Callable[[], ExitStatus], *, json_output: bool) -> NoReturn:
    """Run a command's work; turn every failure into its message, JSON error and exit status."""
    try:
        status = action()
    except DerivError as error:
        _fail(error, json_output=json_output)
    except KeyboardInterrupt:
        typer.echo("deriv: interrupted", err=True)
        raise typer.Exit(ExitStatus.INTERRUPTED) from None
    except typer.Exit:
        raise
    except Exception as error:  # noqa: BLE001 - any other failure is a bug, reported in one line
        _internal_error(error, json_output=json_output)
    finally:
        # The worker ends with the command (a later command in this process forks a fresh one).
        worker = sys.modules.get("derivcli.worker")
        if worker is not None:
            # The process ends next: no need to wait for the worker to be reaped.
            worker.close_default(wait=False)
    raise typer.Exit(status)


def _internal_error(error: Exception, *, json_output: bool) -> NoReturn:
    """Report a bug in deriv: one line on stderr (and JSON under --json), exit status 3."""
    if os.environ.get("DERIV_DEBUG"):
        if isinstance(error, WorkerBugError):
            # A bug inside the worker process carries its traceback as text.
            sys.stderr.write(error.details)
        raise error
    message = internal_message(error)
    if json_output:
        from derivcli.render.jsondoc import dumps

        document = {"error": {"kind": ErrorKind.INTERNAL.value, "message": message, "column": None}}
        sys.stdout.write(dumps(document) + "\n")
    typer.echo(
        f"deriv: {message} (a bug in deriv; rerun with DERIV_DEBUG=1 for details and please report it)",
        err=True,
    )
    raise typer.Exit(ExitStatus.INTERNAL_ERROR) from None


@app.command(
    "jacobian",
    cls=ExpressionCommand,
    epilog=EXIT_STATUS_EPILOG,
    help="The Jacobian of a vector function written as comma-separated components: each component's "
    "gradient, by autograd and symbolically.\n\n"
    'Example: deriv jacobian "x*y, x + y, sin(x)" --at x=1,y=2',
)
def jacobian_command(
    expr: Annotated[
        str,
        typer.Argument(
            metavar="EXPRS",
            help="Components separated by commas, e.g. 'x*y, x + y, sin(x)' (atan2(y, x) stays one).",
            show_default=False,
        ),
    ],
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

    def action() -> ExitStatus:
        from derivcli.core.jacobian import parse_components
        from derivcli.model.plan import check_device, split_names
        from derivcli.parsing import parse_point

        _check_tolerances(rtol, atol)
        check_timeout(timeout)
        check_device(device)

        parse_components(expr)
        points = [parse_point(text) for text in at or []]
        names = split_names(wrt or [], option="--wrt")

        report = _in_worker(
            _jacobian_report,
            expr,
            points,
            names,
            {"device": device, "dtype": dtype.value, "rtol": rtol, "atol": atol, "fd": fd},
            timeout=timeout,
            device=device,
        )
        if json_output:
            from derivcli.render.jsondoc import dumps, jacobian_document

            sys.stdout.write(dumps(jacobian_document(report)) + "\n")
        else:
            from derivcli.render.matrices import print_jacobian

            print_jacobian(report, _console(sys.stdout))
        return ExitStatus.DISAGREEMENT if strict and not report.all_agree else ExitStatus.OK

    _guarded(action, json_output=json_output)


@app.command(
    "batch",
    cls=DerivCommand,
    epilog="Exit status: 0 when every line succeeded; 2 when any line was an error (its result says why) "
    "or the input cannot be read; 3 when a line met a bug in deriv (the batch still goes on);"
    " 130 interrupted.",
    help="Answer one problem per JSON line, in one process: each output line is the document of "
    '\'deriv partial --json\' plus "line" (and "id" when the input has one).\n\n'
    'Input lines: {"expr": "x**2", "at": {"x": 3}}; "at" may be a list of points, values numbers or '
    'constant expressions as strings ("pi/4"); optional "wrt", "order", "device", "dtype", "id".\n\n'
    "Example: cat problems.jsonl | deriv batch > results.jsonl",
)
def batch_command(
    source: Annotated[
        str,
        typer.Argument(
            metavar="[FILE]", help="JSON Lines to read; '-' or nothing reads stdin.", show_default=False
        ),
    ] = "-",
    output: Annotated[
        str | None, _file_option("--output", "Write the results to FILE instead of stdout.")
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="Time budget of each line's symbolic side; a line that runs out is answered with a "
            "timeout error and the batch goes on.",
        ),
    ] = DEFAULT_TIMEOUT,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            help="Worker processes computing consecutive lines at once (answers stay in input order) "
            "[default: one per CPU, at most 4].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """The ``deriv batch`` command."""

    def action() -> ExitStatus:
        check_timeout(timeout)
        if jobs is not None and not 1 <= jobs <= MAX_JOBS:
            raise DerivError(ErrorKind.BAD_OPTION, f"--jobs must be from 1 to {MAX_JOBS}, got {jobs}")
        with contextlib.ExitStack() as streams:
            if source == "-":
                lines: TextIO = _stdin_text()
            else:
                try:
                    lines = streams.enter_context(
                        open(source, encoding="utf-8", errors="replace", newline="\n")
                    )
                except OSError as error:
                    raise DerivError(
                        ErrorKind.BAD_FILE, f"cannot read {source!r}: {error.strerror}"
                    ) from None
            sink = _open_output(output or "-", streams, option="--output")
            from derivcli.batch import bounded_lines, default_jobs, run_batch
            from derivcli.render.jsondoc import batch_line

            began = time.monotonic()
            ok = errors = internal = 0
            workers = default_jobs() if jobs is None else jobs
            for result in run_batch(bounded_lines(lines), timeout=timeout, jobs=workers):
                sink.write(batch_line(result) + "\n")
                # Flushed line by line: a pipeline sees each answer as soon as it exists.
                sink.flush()
                if result.error is None:
                    ok += 1
                else:
                    errors += 1
                    internal += result.error.kind is ErrorKind.INTERNAL
        total = ok + errors
        plural = "" if errors == 1 else "s"
        typer.echo(
            f"deriv batch: {ok:,} ok, {errors:,} error{plural}, {total:,} line{'' if total == 1 else 's'}"
            f" in {time.monotonic() - began:.2f} s",
            err=True,
        )
        if internal:
            return ExitStatus.INTERNAL_ERROR
        return ExitStatus.BAD_INPUT if errors else ExitStatus.OK

    _guarded(action, json_output=False)


def _eval_plan(request: EvalRequest) -> Plan:
    """Every cheap check, then the parsed plan: no SymPy or torch is imported here."""
    from derivcli.model.plan import check_device, make_plan, split_names
    from derivcli.parsing import parse_expression, parse_point

    _check_tolerances(request.rtol, request.atol)
    check_timeout(request.timeout)
    if not (request.simplify_timeout > 0 and request.simplify_timeout != float("inf")):
        raise DerivError(
            ErrorKind.BAD_OPTION,
            f"--simplify-timeout must be a finite number > 0, got {request.simplify_timeout}",
        )
    if request.fd and request.order > 2:
        raise DerivError(ErrorKind.BAD_OPTION, "--fd gives first and second derivatives, not order 3 or more")
    check_device(request.device)
    parsed = parse_expression(request.expression)
    points = [parse_point(text) for text in request.at]
    return make_plan(
        mode=request.mode,
        expression=parsed,
        points=points,
        wrt=split_names(request.wrt, option="--wrt"),
        order=request.order,
    )


def _compare_plan(plan: Plan, request: EvalRequest) -> Report:
    """Both witnesses on a plan (run in the worker: this is where SymPy and torch are imported)."""
    from derivcli.core.compare import compare

    return compare(plan, _compare_options(request))


def _compare_options(request: EvalRequest) -> Options:
    """The compare options of a request."""
    from derivcli.core.compare import Options

    return Options(
        device=request.device,
        dtype=request.dtype,
        rtol=request.rtol,
        atol=request.atol,
        simplify=request.simplify,
        simplify_timeout=request.simplify_timeout,
        fd=request.fd,
    )


def _autograd_plan(plan: Plan, request: EvalRequest) -> AutogradOnly:
    """Autograd alone on a plan (run in the worker)."""
    from derivcli.core.compare import autograd_only

    return autograd_only(plan, _compare_options(request))


def _autograd_fallback(plan: Plan, request: EvalRequest, error: DerivError) -> NoReturn:
    """The symbolic side ran out of time: show what autograd alone says, then the error (exit 2)."""
    try:
        alone = _in_worker(_autograd_plan, plan, request, timeout=request.timeout, device=request.device)
    except DerivError:
        # Even the points could not be read in time: there is nothing more to show.
        raise error from None
    if request.json_output:
        from derivcli.render.jsondoc import autograd_only_document, dumps

        sys.stdout.write(dumps(autograd_only_document(alone, error)) + "\n")
    else:
        from derivcli.render.table import print_autograd_only

        print_autograd_only(alone, _console(sys.stdout))
    for line in error_lines(error):
        typer.echo(line, err=True)
    raise typer.Exit(ExitStatus.BAD_INPUT)


def _in_worker(
    function: Callable[..., T],
    *args: Any,
    timeout: float,
    device: str = "cpu",
    preload: Sequence[str] = (),
    on_event: Callable[[Any], None] | None = None,
) -> T:
    """Run a core function in the worker process under the time budget and the memory cap."""
    from derivcli.worker import Limits, run

    return run(
        function,
        *args,
        limits=Limits.for_device(timeout, device),
        preload=preload,
        on_event=on_event,
    )


def _jacobian_report(
    expr: str, points: list[PointSpec], names: list[str], options: dict[str, Any]
) -> JacobianReport:
    """The Jacobian (run in the worker)."""
    from derivcli.core.compare import Options
    from derivcli.core.jacobian import jacobian

    return jacobian(expr, points=points, wrt=names, options=Options(**options))


def _graph_report(plan: Plan, device: str, dtype: str) -> GraphReport:
    """The autograd graph at one point (run in the worker)."""
    from derivcli.core.graph import graph_at

    return graph_at(plan, device=device, dtype=dtype)


def _check_report(function: str, plan: Plan) -> CheckReport:
    """A custom Function checked against its expression (run in the worker, which imports the user's file)."""
    from derivcli.core.check import check_function

    return check_function(function, plan)


def _check_tolerances(rtol: float | None, atol: float | None) -> None:
    """Refuse negative or non-finite tolerances."""
    for name, value in (("--rtol", rtol), ("--atol", atol)):
        if value is not None and not (value >= 0 and value != float("inf")):
            raise DerivError(ErrorKind.BAD_OPTION, f"{name} must be a finite number >= 0, got {value}")


def _fail(error: DerivError, *, json_output: bool) -> NoReturn:
    """Report a DerivError: message (and caret) on stderr, JSON on stdout under --json."""
    if json_output:
        from derivcli.render.jsondoc import dumps, error_document

        sys.stdout.write(dumps(error_document(error)) + "\n")
    for line in error_lines(error):
        typer.echo(line, err=True)
    raise typer.Exit(ExitStatus.BAD_INPUT)


def _print_report(report: Report, *, json_output: bool) -> None:
    """Render the report to stdout as JSON or as a table."""
    if json_output:
        from derivcli.render.jsondoc import dumps, report_document

        sys.stdout.write(dumps(report_document(report)) + "\n")
        return
    from derivcli.render.table import print_report

    print_report(report, _console(sys.stdout))


def _console(stream: TextIO) -> Console:
    """A Rich console on ``stream``: no colour under NO_COLOR, no wrapping at 80 columns off a terminal."""
    from rich.console import Console

    # Off a terminal, a table should not wrap at 80 columns (unless COLUMNS says so).
    wide = None if stream.isatty() or "COLUMNS" in os.environ else 200
    # NO_COLOR (https://no-color.org): Rich drops colours but keeps bold; drop every escape code.
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(
        file=stream, width=wide, highlight=False, soft_wrap=False, color_system=None if plain else "auto"
    )


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


def _file_option(name: str, help_text: str) -> Any:
    """A ``NAME FILE`` option of ``deriv grid``."""
    return typer.Option(name, metavar="FILE", help=help_text, show_default=False)


@app.command(
    "grid",
    cls=ExpressionCommand,
    epilog=EXIT_STATUS_EPILOG,
    help="Derivatives over a whole grid: autograd with the sum trick against the symbolic derivative, "
    "point by point, in bounded memory.\n\n"
    'Example: deriv grid "relu(x)" --range x=-10:10 --num 1001 --plot relu.png',
)
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
    csv: Annotated[
        str | None, _file_option("--csv", "Write every point to FILE as CSV ('-': stdout).")
    ] = None,
    jsonl: Annotated[
        str | None, _file_option("--jsonl", "Write every point to FILE as JSON Lines ('-': stdout).")
    ] = None,
    plot: Annotated[
        str | None,
        _file_option(
            "--plot",
            "Plot f, both derivatives and their difference to FILE (.png or .svg; needs matplotlib).",
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
    request = GridRequest(
        expression=expr,
        ranges=tuple(range_ or ()),
        num=num,
        wrt=tuple(wrt or ()),
        device=device,
        dtype=dtype.value,
        rtol=rtol,
        atol=atol,
        json_output=json_output,
        csv=csv,
        jsonl=jsonl,
        plot=plot,
        chunk_size=chunk_size,
        compile_chunks=compile_chunks,
        timeout=timeout,
    )

    def action() -> ExitStatus:
        report = _grid(request)
        return ExitStatus.DISAGREEMENT if strict and not report.all_agree else ExitStatus.OK

    _guarded(action, json_output=json_output)


@dataclass(frozen=True, slots=True)
class GridRequest:
    """The options of one ``deriv grid`` run, as typed."""

    expression: str
    ranges: tuple[str, ...]
    num: str
    wrt: tuple[str, ...]
    device: str
    dtype: str
    rtol: float | None
    atol: float | None
    json_output: bool
    csv: str | None
    jsonl: str | None
    plot: str | None
    chunk_size: str | None
    compile_chunks: bool = False
    timeout: float = DEFAULT_TIMEOUT


def _grid(request: GridRequest) -> GridReport:
    """Check everything cheap, open the outputs, compute chunk by chunk, render the summary."""
    from derivcli.model.gridplan import make_grid_plan
    from derivcli.model.plan import check_device, split_names
    from derivcli.parsing import parse_count, parse_expression, parse_range

    _check_tolerances(request.rtol, request.atol)
    check_timeout(request.timeout)
    check_device(request.device)
    parsed = parse_expression(request.expression)
    plan = make_grid_plan(
        expression=parsed,
        ranges=[parse_range(text) for text in request.ranges],
        num=parse_count(request.num, option="--num"),
        wrt=split_names(request.wrt, option="--wrt"),
    )
    chunk_size = (
        None if request.chunk_size is None else parse_count(request.chunk_size, option="--chunk-size")
    )
    to_stdout = [name for name, path in (("--csv", request.csv), ("--jsonl", request.jsonl)) if path == "-"]
    if len(to_stdout) > 1 or (to_stdout and request.json_output):
        taken = [f"{name} -" for name in to_stdout] + (["--json"] if request.json_output else [])
        listed = f"{', '.join(taken[:-1])} and {taken[-1]}"
        raise DerivError(
            ErrorKind.BAD_OPTION,
            f"{listed} {'both' if len(taken) == 2 else 'all'} write to stdout: send all but one to a file",
        )
    if request.csv is not None and request.csv == request.jsonl and request.csv != "-":
        raise DerivError(ErrorKind.BAD_OPTION, f"--csv and --jsonl name the same file {request.csv!r}")
    if request.plot is not None:
        _check_plot(request.plot, dimensions=len(plan.axes))
    if request.csv is not None:
        from derivcli.render.stream import csv_header

        csv_header(plan.variables, plan.wrt)

    with contextlib.ExitStack() as outputs:
        sinks: list[Callable[[GridChunk], None]] = []
        if request.csv is not None or request.jsonl is not None:
            from derivcli.render.stream import CsvWriter, JsonLinesWriter

            if request.csv is not None:
                stream = _open_output(request.csv, outputs, option="--csv")
                sinks.append(CsvWriter(stream, variables=plan.variables, wrt=plan.wrt))
            if request.jsonl is not None:
                stream = _open_output(request.jsonl, outputs, option="--jsonl")
                sinks.append(JsonLinesWriter(stream, variables=plan.variables, wrt=plan.wrt))
        collector = None
        if request.plot is not None:
            from derivcli.render.plot import PlotCollector

            collector = PlotCollector(variables=plan.variables, wrt=plan.wrt, shape=plan.shape)
            sinks.append(collector)

        options = {
            "device": request.device,
            "dtype": request.dtype,
            "rtol": request.rtol,
            "atol": request.atol,
            "chunk_size": chunk_size,
            "compile_chunks": request.compile_chunks,
        }
        progress = outputs.enter_context(_ProgressBar(total=plan.points))
        to_sinks = _fan_out(sinks) if sinks else None

        def on_event(event: Any) -> None:
            # The worker computes; chunks and progress come back here, where the outputs are.
            if isinstance(event, tuple):
                progress(*event)
            elif to_sinks is not None:
                to_sinks(event)

        report = _in_worker(
            _grid_report,
            plan,
            options,
            to_sinks is not None,
            sys.stderr.isatty(),
            timeout=request.timeout,
            device=request.device,
            on_event=on_event,
        )
    if collector is not None and request.plot is not None:
        from derivcli.render.plot import write_plot

        kinks = [point.at for kink in report.kinks for point in kink.on_grid_examples]
        # A kink between two grid points is drawn halfway between them.
        kinks += [
            {name: (left.at[name] + right.at[name]) / 2 for name in left.at}
            for kink in report.kinks
            for left, right in kink.crossing_examples
        ]
        write_plot(
            Path(request.plot),
            collector,
            expression=report.expression,
            derivatives=report.derivatives,
            kinks=kinks,
            dtype=report.dtype,
        )
    if request.json_output:
        from derivcli.render.jsondoc import dumps, grid_document

        sys.stdout.write(dumps(grid_document(report)) + "\n")
    else:
        from derivcli.render.gridtable import print_grid_summary

        # With the points on stdout, the summary is a message: it goes to stderr.
        print_grid_summary(report, _console(sys.stderr if to_stdout else sys.stdout))
    return report


@app.command(
    "graph",
    cls=ExpressionCommand,
    epilog=EXIT_STATUS_EPILOG,
    help="Show the autograd graph torch builds for an expression at a point: every backward node "
    "(AddBackward0, PowBackward0, ...), the operation that made it and its local derivative, and the "
    "tensors' data, grad_fn, grad, is_leaf and requires_grad before and after .backward().\n\n"
    'Example: deriv graph "x**2 + 2*x + 1" --at x=2',
)
def graph_command(
    expr: ExpressionArgument,
    at: AtOption = None,
    wrt: WrtOption = None,
    device: DeviceOption = "cpu",
    dtype: DTypeOption = DType.float64,
    json_output: JsonOption = False,
    dot: Annotated[
        str | None, _file_option("--dot", "Also write the graph as Graphviz DOT to FILE ('-': stdout).")
    ] = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv graph`` command."""

    def action() -> ExitStatus:
        from derivcli.model.plan import check_device, make_plan, split_names
        from derivcli.parsing import parse_expression, parse_point

        check_timeout(timeout)
        check_device(device)
        parsed = parse_expression(expr)
        points = [parse_point(text) for text in at or []]
        if len(points) != 1:
            raise DerivError(
                ErrorKind.BAD_POINT,
                f"deriv graph draws the graph at one point: give exactly one --at (got {len(points)})",
            )
        if dot == "-" and json_output:
            raise DerivError(
                ErrorKind.BAD_OPTION, "--dot - and --json both write to stdout: send one to a file"
            )
        plan = make_plan(
            mode=Mode.PARTIAL, expression=parsed, points=points, wrt=split_names(wrt or [], option="--wrt")
        )

        report = _in_worker(
            _graph_report,
            plan,
            device,
            dtype.value,
            timeout=timeout,
            device=device,
            preload=("derivcli.render.graphview",),
        )
        from derivcli.render.graphview import graph_dot, print_graph

        if dot is not None:
            with contextlib.ExitStack() as outputs:
                _open_output(dot, outputs, option="--dot").write(graph_dot(report))
        if json_output:
            from derivcli.render.jsondoc import dumps, graph_document

            sys.stdout.write(dumps(graph_document(report)) + "\n")
        elif dot != "-":
            print_graph(report, _console(sys.stdout))
        return ExitStatus.OK

    _guarded(action, json_output=json_output)


@app.command(
    "check",
    cls=DerivCommand,
    epilog=EXIT_STATUS_EPILOG + " For check, 2 also when the file cannot be loaded or its code raises.",
    help="Check a custom torch.autograd.Function against an expression: forward, backward with "
    "grad_output=1 and with other upstream gradients, batched inputs, gradcheck and gradgradcheck.\n\n"
    "This RUNS CODE: it imports the Python file you name, as python would run it. It is the only "
    "command of deriv that runs code it did not write, and only the file given here.\n\n"
    'Example: deriv check my_ops.py:SQ --against "x**2" --at x=2',
)
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
    json_output: JsonOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """The ``deriv check`` command."""

    def action() -> ExitStatus:
        from derivcli.model.plan import make_plan
        from derivcli.parsing import parse_expression, parse_point

        check_timeout(timeout)
        parsed = parse_expression(against, what="--against expression")
        if not parsed.variables:
            raise DerivError(
                ErrorKind.MISSING_VALUE, f"--against {against!r} has no variables: the Function has inputs"
            )
        from derivcli.core.check import default_points

        texts = at or default_points(parsed.variables)
        plan = make_plan(mode=Mode.PARTIAL, expression=parsed, points=[parse_point(text) for text in texts])

        report = _in_worker(
            _check_report, function, plan, timeout=timeout, preload=("derivcli.render.checkview",)
        )
        if json_output:
            from derivcli.render.jsondoc import check_document, dumps

            sys.stdout.write(dumps(check_document(report)) + "\n")
        else:
            from derivcli.render.checkview import print_check

            print_check(report, _console(sys.stdout))
        return ExitStatus.OK if report.passed else ExitStatus.DISAGREEMENT

    _guarded(action, json_output=json_output)


def _grid_report(
    plan: GridPlan, options: dict[str, Any], send_chunks: bool, send_progress: bool
) -> GridReport:
    """The grid (run in the worker): chunks and progress go back to the command as events."""
    from derivcli.core.grid import GridOptions, run_grid
    from derivcli.worker import emit

    def progress(done: int, total: int) -> None:
        emit((done, total))

    return run_grid(
        plan,
        GridOptions(**options),
        on_chunk=emit if send_chunks else None,
        progress=progress if send_progress else None,
    )


def _check_plot(path: str, *, dimensions: int) -> None:
    """Refuse a plot that cannot be made, before any work is done."""
    if dimensions > 2:
        raise DerivError(
            ErrorKind.BAD_OPTION, f"--plot shows one or two variables; this grid has {dimensions}"
        )
    if Path(path).suffix.lower() not in (".png", ".svg"):
        raise DerivError(
            ErrorKind.BAD_OPTION, f"--plot {path!r}: cannot tell the format; use a .png or .svg file name"
        )
    if importlib.util.find_spec("matplotlib") is None:
        raise DerivError(
            ErrorKind.UNSUPPORTED,
            "--plot needs matplotlib: pip install 'deriv[plot]' (or pip install matplotlib)",
        )


def _stdin_text() -> TextIO:
    """Standard input as UTF-8 text: a bad byte reads as U+FFFD (refused in its line) instead of crashing."""
    if sys.stdin is None:
        raise DerivError(ErrorKind.BAD_FILE, "cannot read standard input: it is closed")
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:
        return sys.stdin
    # Lines end at "\n" only, as for jq and wc -l: a stray "\r" stays inside its line.
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="\n")


def _open_output(path: str, outputs: contextlib.ExitStack, *, option: str) -> TextIO:
    """Stdout for '-', else the file opened for writing (closed when the run ends)."""
    if path == "-":
        return sys.stdout
    try:
        return outputs.enter_context(open(path, "w", encoding="utf-8", newline=""))
    except OSError as error:
        raise DerivError(ErrorKind.BAD_OPTION, f"{option}: cannot write {path!r}: {error.strerror}") from None


def _fan_out(sinks: Sequence[Callable[[GridChunk], None]]) -> Callable[[GridChunk], None]:
    """One sink that hands each chunk to every sink in turn."""

    def each(chunk: GridChunk) -> None:
        for sink in sinks:
            sink(chunk)

    return each


class _ProgressBar:
    """A Rich progress bar on stderr, shown only once a grid has run for a second (TTY only)."""

    def __init__(self, *, total: int, delay: float = 1.0) -> None:
        self.total = total
        self.delay = delay
        self.began = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __call__(self, done: int, total: int) -> None:
        """Advance to ``done`` of ``total`` points."""
        if self.bar is None:
            if time.monotonic() - self.began < self.delay or done >= total:
                return
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("grid"),
                BarColumn(),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                console=_console(sys.stderr),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("grid", total=total)
        self.bar.update(self.task, completed=done)


def main() -> None:
    """Console-script entry point."""
    # Die quietly on a closed pipe (deriv ... | head), as other command-line tools do.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # A message quoting a non-ASCII character must not crash on an ASCII terminal.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        app(prog_name="deriv")
    except SystemExit as exit_request:
        if isinstance(exit_request.code, int | None) and "torch" in sys.modules:
            _exit_without_teardown(exit_request.code or 0)
        raise


def _exit_without_teardown(status: int) -> NoReturn:
    """End the process once every output is flushed, skipping the interpreter's teardown.

    Tearing down torch's and SymPy's modules costs about 0.3 s of a 2 s run and
    does nothing for the user: files are already closed, streams flushed here,
    and exit handlers still run.
    """
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    atexit._run_exitfuncs()
    os._exit(status)
