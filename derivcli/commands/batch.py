"""``deriv batch``: one problem per JSON line in, one answer per line out, in input order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from derivcli.commands.argv import CommandSpec, DerivCommand
from derivcli.commands.options import file_option
from derivcli.model.setup import DEFAULT_TIMEOUT
from derivcli.pipeline import Route, run

if TYPE_CHECKING:
    from derivcli.model.batch import BatchRequest

ROUTE = Route(work="batch", view="batch", in_worker=False)


def batch_command(
    source: Annotated[
        str,
        typer.Argument(
            metavar="[FILE]", help="JSON Lines to read; '-' or nothing reads stdin.", show_default=False
        ),
    ] = "-",
    output: Annotated[
        str | None, file_option("--output", "Write the results to FILE instead of stdout.")
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="Time budget of each line's computation; a line that runs out is answered with a "
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

    def request() -> BatchRequest:
        from derivcli.model.batch import batch_request

        return batch_request(source=source, output=output, timeout=timeout, jobs=jobs)

    run(ROUTE, request, json_output=False)


SPEC = CommandSpec(
    "batch",
    batch_command,
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
