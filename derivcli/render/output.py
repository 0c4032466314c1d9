"""Where a command's results go: stdout as a table or one JSON document, files named by options.

Stdout is data and stderr is messages. Streams are looked up when used, not
when this module is imported, so that a test runner's captured streams are
the ones written to.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from derivcli.errors import DerivError, ErrorKind

if TYPE_CHECKING:
    from rich.console import Console


def console_on(stream: TextIO) -> Console:
    """A Rich console on ``stream``: no colour under NO_COLOR, no wrapping at 80 columns off a terminal."""
    from rich.console import Console

    # Off a terminal, a table should not wrap at 80 columns (unless COLUMNS says so).
    wide = None if stream.isatty() or "COLUMNS" in os.environ else 200
    # NO_COLOR (https://no-color.org): Rich drops colours but keeps bold; drop every escape code.
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(
        file=stream, width=wide, highlight=False, soft_wrap=False, color_system=None if plain else "auto"
    )


def speaks_unicode(console: Console) -> bool:
    """True when the console's encoding can show ✓, ∂ and box lines (else tables fall back to ASCII)."""
    return console.encoding.lower().startswith("utf")


class Output:
    """One command's outputs: whether stdout takes JSON, and the files it opened (closed by :meth:`close`)."""

    def __init__(self, *, json_output: bool) -> None:
        self.json = json_output
        self._files = contextlib.ExitStack()

    def __enter__(self) -> Output:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write_json(self, document: Mapping[str, Any]) -> None:
        """Print one strict JSON document on stdout."""
        from derivcli.render.jsondoc import dumps

        sys.stdout.write(dumps(document) + "\n")

    def console(self, *, messages: bool = False) -> Console:
        """A console on stdout, or on stderr for ``messages`` (a summary while stdout carries data)."""
        return console_on(sys.stderr if messages else sys.stdout)

    def open(self, path: str, *, option: str) -> TextIO:
        """Stdout for '-', else the file opened for writing (closed with the other outputs)."""
        if path == "-":
            return sys.stdout
        try:
            return self._files.enter_context(open(path, "w", encoding="utf-8", newline=""))
        except OSError as error:
            raise DerivError(
                ErrorKind.BAD_OPTION, f"{option}: cannot write {path!r}: {error.strerror}"
            ) from None

    def keep(self, context: contextlib.AbstractContextManager[Any]) -> None:
        """Close ``context`` (a progress bar, an input file) along with the files."""
        self._files.enter_context(context)

    def close(self) -> None:
        """Close every file this output opened (stdout stays open)."""
        self._files.close()
