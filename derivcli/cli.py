"""The ``deriv`` command line: the Typer app, its commands in order, and the process entry point.

Each command lives in ``derivcli/commands/<name>.py`` and takes the one path
of :mod:`derivcli.pipeline`. Only light modules are imported here (no
parser, no SymPy, no torch), so ``--help``, ``--version`` and completion
stay fast.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import io
import os
import signal
import sys
from typing import Annotated, NoReturn

import typer

from derivcli import __version__
from derivcli.commands import (
    batch,
    check,
    graph,
    grid,
    hessian,
    implicit,
    jacobian,
    partial,
    spellings,
    steps,
)
from derivcli.commands import eval as eval_command
from derivcli.commands.argv import DerivGroup
from derivcli.commands.options import EXIT_STATUS_EPILOG
from derivcli.model.versions import versions

#: The commands, in the order ``deriv --help`` lists them.
COMMANDS = (eval_command, partial, hessian, jacobian, implicit, batch, grid, graph, steps, spellings, check)

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
        version = versions()[package]
        parts.append(f"{package} {version}" if version is not None else f"{package} not installed")
    return f"{parts[0]} ({', '.join(parts[1:])})"


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


def _register() -> None:
    """Add every command to the app, in order."""
    for command in COMMANDS:
        spec = command.SPEC
        app.command(spec.name, cls=spec.cls, help=spec.help, epilog=spec.epilog)(spec.function)


_register()


def main() -> None:
    """Console-script entry point."""
    # Die quietly on a closed pipe (deriv ... | head), as other command-line tools do.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # With stdout closed (deriv ... >&-) Python leaves None: writing to it is then a write error like any
    # other; with stderr closed there is nowhere to say anything.
    if sys.stdout is None:
        sys.stdout = _ClosedStream()
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole process
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
        # A failed write was reported already; the exit status says so.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(status)


class _ClosedStream(io.TextIOBase):
    """Standard output when the shell closed it: every write fails as writing to a closed file does."""

    def write(self, text: str) -> int:
        """Fail: there is nowhere to write."""
        raise OSError(errno.EBADF, "standard output is closed")
