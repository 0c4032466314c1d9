"""The one path every command takes, from a checked request to an exit status.

1. ``build()`` checks the options and returns a light request (``derivcli.model``);
   no SymPy or torch is imported, so a refusal takes milliseconds.
2. The command's view (``derivcli.render.<view>.View``) is made: it opens the
   files the request names, so a path that cannot be written is refused first.
3. ``derivcli.work.<work>.run(request)`` computes in the worker process under
   the request's time budget; events it emits (grid chunks, progress) reach
   the view as they come.
4. ``view.present(report)`` prints a table or one JSON document and returns
   the exit status.

Every failure on the way becomes one line on stderr (and a JSON error on
stdout under ``--json``) with its exit status: 2 for a :class:`DerivError`,
3 for anything else, which is a bug. No traceback reaches the user.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn

import typer

from derivcli.errors import DerivError, ErrorKind, ExitStatus, WorkerBugError, internal_message
from derivcli.render.messages import error_lines


class Route(NamedTuple):
    """The modules that serve a command: ``derivcli.work.<work>`` and ``derivcli.render.<view>``.

    ``in_worker`` is False only for ``deriv batch``, whose work runs here and
    hands each line to workers of its own.
    """

    work: str
    view: str
    in_worker: bool = True


class _ShownError(Exception):
    """An error whose partial results are already on stdout: only its message and status remain."""

    def __init__(self, error: DerivError) -> None:
        super().__init__(error.describe())
        self.error = error


def run(route: Route, build: Callable[[], Any], *, json_output: bool) -> NoReturn:
    """Check the request, compute, present; exit with the status (every failure reported in one line)."""
    status = _guarded(lambda: _execute(route, build, json_output=json_output), json_output=json_output)
    raise typer.Exit(status)


def _execute(route: Route, build: Callable[[], Any], *, json_output: bool) -> ExitStatus:
    """Steps 1 to 4 of the module docstring."""
    from derivcli.render.output import Output, stdout_failed

    request = build()
    view_module = importlib.import_module(f"derivcli.render.{route.view}")
    try:
        with Output(json_output=json_output) as out:
            view = view_module.View(request, out)
            if not route.in_worker:
                work = importlib.import_module(f"derivcli.work.{route.work}")
                status: ExitStatus = view.present(work.run(request, view.lines, view.receive))
            else:
                status = view.present(_compute(route, request, view))
        # A full disk or a closed pipe shows when the output is flushed, if not before.
        sys.stdout.flush()
    except OSError as error:
        # Files named by options report their own failures (as DerivError): this one is stdout's.
        raise stdout_failed(error) from None
    return status


def _compute(route: Route, request: Any, view: Any) -> Any:
    """The report from the worker; when time ran out, whatever part of it the view was sent already."""
    try:
        return _in_worker(route.work, request, on_event=view.receive)
    except DerivError as error:
        if error.kind is ErrorKind.TIMEOUT and view.present_partial(error):
            raise _ShownError(error) from None
        raise


def _in_worker(work: str, request: Any, *, on_event: Callable[[Any], None] | None = None) -> Any:
    """Call ``derivcli.work.<work>.run(request)`` in the worker, under the request's limits."""
    from derivcli.worker.limits import Limits
    from derivcli.worker.process import run as run_in_worker

    setup = request.setup
    limits = Limits.for_device(setup.timeout, setup.device)
    return run_in_worker(call_work, work, request, limits=limits, on_event=on_event)


def call_work(work: str, request: Any) -> Any:
    """Import the work module and call its entry (runs in the worker, where SymPy and torch are loaded)."""
    return importlib.import_module(f"derivcli.work.{work}").run(request)


def _guarded(action: Callable[[], ExitStatus], *, json_output: bool) -> ExitStatus:
    """Run a command's work; turn every failure into its message, JSON error and exit status."""
    try:
        return action()
    except DerivError as error:
        return _fail(error, json_output=json_output)
    except _ShownError as shown:
        return _fail(shown.error, json_output=False)
    except KeyboardInterrupt:
        typer.echo("deriv: interrupted", err=True)
        return ExitStatus.INTERRUPTED
    except typer.Exit:
        raise
    except Exception as error:  # noqa: BLE001 - any other failure is a bug, reported in one line
        return _internal_error(error, json_output=json_output)
    finally:
        # The worker ends with the command (a later command in this process forks a fresh one).
        worker = sys.modules.get("derivcli.worker.process")
        if worker is not None:
            # The process ends next: no need to wait for the worker to be reaped.
            worker.close_default(wait=False)


def _fail(error: DerivError, *, json_output: bool) -> ExitStatus:
    """Report a DerivError: message (and caret) on stderr, JSON on stdout under --json."""
    if json_output:
        from derivcli.render.documents.values import error_document, print_json

        print_json(error_document(error))
    for line in error_lines(error):
        typer.echo(line, err=True)
    return ExitStatus.BAD_INPUT


def _internal_error(error: Exception, *, json_output: bool) -> ExitStatus:
    """Report a bug in deriv: one line on stderr (and JSON under --json), exit status 3."""
    if os.environ.get("DERIV_DEBUG"):
        if isinstance(error, WorkerBugError):
            # A bug inside the worker process carries its traceback as text.
            sys.stderr.write(error.details)
        raise error
    message = internal_message(error)
    if json_output:
        from derivcli.render.documents.values import error_document, print_json

        print_json(error_document(DerivError(ErrorKind.INTERNAL, message)))
    typer.echo(
        f"deriv: {message} (a bug in deriv; rerun with DERIV_DEBUG=1 for details and please report it)",
        err=True,
    )
    return ExitStatus.INTERNAL_ERROR
