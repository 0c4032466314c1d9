"""``deriv batch``'s input and output: lines read with a bound, one JSON line written per answer.

Each answer is written and flushed as soon as it exists, so a pipeline sees
it at once; the summary goes to stderr, since stdout carries the data.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from typing import TextIO

from derivcli.errors import DerivError, ErrorKind, ExitStatus
from derivcli.model.batch import BatchRequest, BatchResult, BatchSummary, LongLine, bounded_lines
from derivcli.render.documents.eval import batch_line
from derivcli.render.output import Output, OutputFile
from derivcli.render.view import BaseView


def stdin_text() -> TextIO:
    """Standard input as UTF-8 text: a bad byte reads as U+FFFD (refused in its line) instead of crashing."""
    if sys.stdin is None:
        raise DerivError(ErrorKind.BAD_FILE, "cannot read standard input: it is closed")
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:
        return sys.stdin
    # Lines end at "\n" only, as for jq and wc -l: a stray "\r" stays inside its line. A byte-order
    # mark at the start is read past (utf-8-sig), as jq does.
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="\n")


def _read(lines: Iterator[str | LongLine], source: str) -> Iterator[str | LongLine]:
    """The input's lines; a failure to read them is deriv's error, naming the input."""
    try:
        yield from lines
    except OSError as error:
        where = "standard input" if source == "-" else repr(source)
        raise DerivError(ErrorKind.BAD_FILE, f"reading {where} failed: {error.strerror or error}") from None


def summary_line(summary: BatchSummary) -> str:
    """``deriv batch: 3 ok, 1 error, 4 lines in 0.52 s``."""
    plural = "" if summary.errors == 1 else "s"
    lines = summary.lines
    return (
        f"deriv batch: {summary.ok:,} ok, {summary.errors:,} error{plural}, {lines:,}"
        f" line{'' if lines == 1 else 's'} in {summary.elapsed_s:.2f} s"
    )


def rows_line(summary: BatchSummary) -> str:
    """``deriv batch: 2 rows, 1 agree, 1 explained, 0 unexplained`` (a row: a derivative at a point)."""
    rows = summary.rows
    return (
        f"deriv batch: {rows:,} row{'' if rows == 1 else 's'}, {summary.agree:,} agree,"
        f" {summary.explained:,} explained, {summary.unexplained:,} unexplained"
    )


class View(BaseView[BatchRequest, BatchSummary]):
    """The input opened first (a missing file creates no output), then the output; a line per answer."""

    def __init__(self, request: BatchRequest, out: Output) -> None:
        super().__init__(request, out)
        if request.source == "-":
            stream = stdin_text()
        else:
            try:
                stream = open(request.source, encoding="utf-8-sig", errors="replace", newline="\n")  # noqa: SIM115
            except OSError as error:
                raise DerivError(
                    ErrorKind.BAD_FILE, f"cannot read {request.source!r}: {error.strerror}"
                ) from None
            out.keep(stream)
        self.lines: Iterator[str | LongLine] = _read(bounded_lines(stream), request.source)
        # Every answer is a whole line: a file that cannot take one more keeps those before it.
        self._sink = out.open(request.output or "-", option="--output", keep_whole=True)

    def receive(self, event: object) -> None:
        """Write one line's answer and flush it (a pipeline sees each answer as soon as it exists)."""
        assert isinstance(event, BatchResult)
        self._sink.write(batch_line(event) + "\n")
        if isinstance(self._sink, OutputFile):
            self._sink.mark_whole()
        else:
            self._sink.flush()

    def present(self, report: BatchSummary) -> ExitStatus:
        """The summary on stderr; exit 3 if a line met a bug, 2 if any line was an error, else 0."""
        sys.stderr.write(summary_line(report) + "\n")
        sys.stderr.write(rows_line(report) + "\n")
        for row in report.unexplained_rows:
            sys.stderr.write(f"  unexplained: {row}\n")
        if report.unexplained > len(report.unexplained_rows):
            sys.stderr.write(
                f"  and {report.unexplained - len(report.unexplained_rows):,} more unexplained\n"
            )
        if report.internal:
            return ExitStatus.INTERNAL_ERROR
        return ExitStatus.BAD_INPUT if report.errors else ExitStatus.OK
