"""Where a command's results go: stdout as a table or one JSON document, files named by options.

Stdout is data and stderr is messages. Streams are looked up when used, not
when this module is imported, so that a test runner's captured streams are
the ones written to.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, TextIO, cast

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.files import cannot_write

if TYPE_CHECKING:
    from rich.console import Console


class TextSink(Protocol):
    """Where text can be written: stdout, or an :class:`OutputFile`."""

    def write(self, text: str, /) -> int:
        """Write ``text``."""
        ...

    def flush(self) -> None:
        """Hand what is buffered to the operating system."""
        ...


#: Narrowest COLUMNS honoured: below it not even one record (a heading and a value) fits, so COLUMNS
#: is ignored, as ls ignores a width it cannot use.
MIN_COLUMNS: Final = 24
#: Width off a terminal when COLUMNS does not say: tables are not wrapped at 80 columns in a file.
FILE_COLUMNS: Final = 200


def console_on(stream: TextIO) -> Console:
    """A Rich console on ``stream``: no colour under NO_COLOR, no wrapping at 80 columns off a terminal."""
    from rich.console import Console

    # NO_COLOR (https://no-color.org): Rich drops colours but keeps bold; drop every escape code.
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(
        # It passes every other attribute on to the stream: Rich sees a text stream.
        file=cast(TextIO, _TrimmedLines(stream)),
        width=output_width(stream),
        highlight=False,
        soft_wrap=False,
        color_system=None if plain else "auto",
    )


#: Spaces at the end of a line, before any escape codes that close it.
_TRAILING_SPACES = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$")


class _TrimmedLines:
    """A stream that drops the spaces Rich pads a table's last column with at the end of each line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        """Write whole lines without their trailing spaces; keep a partial line until it ends."""
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        if lines:
            self._stream.write("".join(_TRAILING_SPACES.sub(r"\1", line) + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        """Write a partial line as it is, then flush the stream."""
        if self._pending:
            self._stream.write(self._pending)
            self._pending = ""
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        # isatty, fileno, encoding and the rest come from the stream itself.
        return getattr(self._stream, name)


def output_width(stream: TextIO) -> int:
    """COLUMNS where it is a usable width, else the terminal's width, else (off a terminal) 200."""
    text = os.environ.get("COLUMNS", "").strip()
    if text.isdigit() and int(text) >= MIN_COLUMNS:
        return int(text)
    try:
        return os.get_terminal_size(stream.fileno()).columns if stream.isatty() else FILE_COLUMNS
    except (AttributeError, OSError, ValueError):
        return FILE_COLUMNS


def speaks_unicode(console: Console) -> bool:
    """True when the console's encoding can show ✓, ∂ and box lines (else tables fall back to ASCII)."""
    return console.encoding.lower().startswith("utf")


class OutputFile:
    """A file named by an option: its write errors name it, and it is never left half-written.

    A failed file is removed, unless ``keep_whole`` (``deriv batch --output``,
    whose lines are each a whole answer): it is then cut back to the end of
    the last line marked with :meth:`mark_whole`. Only regular files are
    removed or cut: /dev/full or a pipe is left alone.
    """

    def __init__(self, path: str, option: str, *, keep_whole: bool = False) -> None:
        self.path = path
        self.option = option
        self.keep_whole = keep_whole
        try:
            self._stream: TextIO = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as error:
            raise cannot_write(option, path, str(error.strerror)) from None
        self._regular = stat.S_ISREG(os.fstat(self._stream.fileno()).st_mode)
        self._whole = 0
        self._fate: str | None = None
        self.lines = 0

    def write(self, text: str) -> int:
        """Write ``text``; a failure becomes a DerivError naming the file."""
        try:
            return self._stream.write(text)
        except OSError as error:
            raise self._failed(error) from None

    def flush(self) -> None:
        """Flush to the operating system; a failure becomes a DerivError naming the file."""
        try:
            self._stream.flush()
        except OSError as error:
            raise self._failed(error) from None

    def mark_whole(self) -> None:
        """Flush, and remember that everything written so far is whole (one more complete line)."""
        self.flush()
        self.lines += 1
        if self._regular:
            self._whole = os.lseek(self._stream.fileno(), 0, os.SEEK_CUR)

    def close(self) -> None:
        """Flush and close; a failure removes (or cuts back) the file and says so."""
        if not self._stream.closed:
            self.flush()
            self._stream.close()

    def abandon(self) -> str:
        """Close after a failure and remove the partial file (or cut it back); say what became of it."""
        if self._fate is None:
            self._fate = self._abandon()
        return self._fate

    def _abandon(self) -> str:
        """What :meth:`abandon` does, once."""
        with contextlib.suppress(OSError, ValueError):
            # What is still buffered is what could not be written: drop it rather than retry.
            os.ftruncate(self._stream.fileno(), self._whole if self.keep_whole else 0)
        with contextlib.suppress(OSError, ValueError):
            self._stream.close()
        if not self._regular:
            return ""
        if self.keep_whole:
            plural = "" if self.lines == 1 else "s"
            return f"; it holds the {self.lines:,} whole line{plural} written before"
        with contextlib.suppress(OSError):
            os.remove(self.path)
        return "; the partial file was removed"

    def _failed(self, error: OSError) -> DerivError:
        """The error of a failed write, after removing or cutting back the file."""
        return _write_error(self.path, error, self.abandon())


def write_failed(path: str, error: OSError) -> DerivError:
    """The error of a file written in one go (a plot) that failed: the partial file is removed."""
    removed = ""
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.stat(path).st_mode):
            os.remove(path)
            removed = "; the partial file was removed"
    return _write_error(path, error, removed)


def _write_error(path: str, error: OSError, fate: str) -> DerivError:
    """``writing 'f.csv' failed: No space left on device``, then what became of the file."""
    return DerivError(ErrorKind.WRITE_FAILED, f"writing {path!r} failed: {error.strerror or error}{fate}")


def stdout_failed(error: OSError) -> DerivError:
    """The error of a failed write to stdout (as jq says it), after which stdout is quietly dropped."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        # Whatever stays buffered would fail again at exit, with a traceback: send it nowhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return DerivError(ErrorKind.WRITE_FAILED, f"writing output failed: {error.strerror or error}")


class Output:
    """One command's outputs: whether stdout takes JSON, and the files it opened.

    Leaving it after a failure removes the files it wrote part of.
    """

    def __init__(self, *, json_output: bool) -> None:
        self.json = json_output
        self._files: list[OutputFile] = []
        self._others = contextlib.ExitStack()

    def __enter__(self) -> Output:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if error is None:
            self.close()
        else:
            self.abandon()

    def write_json(self, document: Mapping[str, Any]) -> None:
        """Print one strict JSON document on stdout."""
        from derivcli.render.documents.values import print_json

        print_json(document)

    def console(self, *, messages: bool = False) -> Console:
        """A console on stdout, or on stderr for ``messages`` (a summary while stdout carries data)."""
        return console_on(sys.stderr if messages else sys.stdout)

    def open(self, path: str, *, option: str, keep_whole: bool = False) -> TextSink:
        """Stdout for '-', else the file, opened for writing (see :class:`OutputFile`)."""
        if path == "-":
            return sys.stdout
        sink = OutputFile(path, option, keep_whole=keep_whole)
        self._files.append(sink)
        return sink

    def keep(self, context: contextlib.AbstractContextManager[Any]) -> None:
        """Close ``context`` (a progress bar, an input file) along with the files."""
        self._others.enter_context(context)

    def close(self) -> None:
        """Close every file (a file whose last writes fail is removed, and the error raised)."""
        self._others.close()
        for index, sink in enumerate(self._files):
            try:
                sink.close()
            except DerivError:
                for other in self._files[index + 1 :]:
                    other.abandon()
                self._files.clear()
                raise
        self._files.clear()

    def abandon(self) -> None:
        """After a failure: close everything, and remove (or cut back) the files written in part."""
        with contextlib.suppress(Exception):
            self._others.close()
        for sink in self._files:
            sink.abandon()
        self._files.clear()
