"""Every grid point, streamed as CSV or JSON Lines while the grid is computed.

Each chunk is formatted and written as soon as the engine hands it over, so
memory stays bounded whatever the number of points. Numbers are written as
the shortest decimal that reads back as the same float; in CSV non-finite
values are ``nan``, ``inf`` and ``-inf`` (as pandas and numpy read them), in
JSON Lines the strings ``"nan"``, ``"inf"`` and ``"-inf"`` (strict JSON).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from derivcli.errors import DerivError, ErrorKind
from derivcli.render.output import TextSink

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from derivcli.model.gridplan import GridChunk

#: The columns after the variables: f, then per derivative these three.
DERIVATIVE_COLUMNS = ("autograd", "symbolic", "abs_error")


def csv_header(variables: Sequence[str], wrt: Sequence[str]) -> list[str]:
    """Column names: the variables, ``f``, then autograd, symbolic and abs_error per derivative.

    With one derivative the last three are plain (``autograd``); with several
    they carry the variable (``autograd_u``). A variable whose name would
    repeat a column is refused, since a reader could not tell them apart.
    """
    if len(wrt) == 1:
        derived = list(DERIVATIVE_COLUMNS)
    else:
        derived = [f"{column}_{name}" for name in wrt for column in DERIVATIVE_COLUMNS]
    header = [*variables, "f", *derived]
    clash = sorted({name for name in variables if header.count(name) > 1})
    if clash:
        raise DerivError(
            ErrorKind.BAD_OPTION,
            f"variable {clash[0]!r} has the name of a CSV column ({', '.join(header[len(variables) :])}):"
            " rename it in the expression, or use --jsonl",
        )
    return header


def _csv_text(array: NDArray[np.floating]) -> list[str]:
    """Shortest round-trip text of each value (repr of a float: 'nan', 'inf', '-inf' when not finite)."""
    return list(map(repr, array.tolist()))


def _json_text(array: NDArray[np.floating]) -> list[str]:
    """Shortest round-trip text of each value, non-finite ones as JSON strings."""
    return [repr(value) if math.isfinite(value) else f'"{value!r}"' for value in array.tolist()]


def _columns(
    chunk: GridChunk, wrt: Sequence[str], text: Callable[[NDArray[np.floating]], list[str]]
) -> Iterator[list[str]]:
    """The chunk's columns as text, in header order."""
    for array in chunk.coordinates.values():
        yield text(array)
    yield text(chunk.value)
    for name in wrt:
        autograd, symbolic = chunk.autograd[name], chunk.symbolic[name]
        yield text(autograd)
        yield text(symbolic)
        # inf - inf is nan, as intended: no warning for it.
        with np.errstate(invalid="ignore", over="ignore"):
            difference = abs(autograd - symbolic)
        yield text(difference)


class CsvWriter:
    """A sink that writes every grid point as one CSV row (header first)."""

    def __init__(self, stream: TextSink, *, variables: Sequence[str], wrt: Sequence[str]) -> None:
        self.stream = stream
        self.wrt = tuple(wrt)
        self.rows = 0
        stream.write(",".join(csv_header(variables, wrt)) + "\n")

    def __call__(self, chunk: GridChunk) -> None:
        """Write one chunk's rows."""
        rows = zip(*_columns(chunk, self.wrt, _csv_text), strict=True)
        self.stream.write("".join(",".join(row) + "\n" for row in rows))
        self.rows += len(chunk)


class JsonLinesWriter:
    """A sink that writes every grid point as one JSON object per line.

    Each line is ``{"at": {...}, "f": ..., "derivatives": {"x": {"autograd": ...,
    "symbolic": ..., "abs_error": ...}}}``, keyed like ``deriv eval --json``.
    """

    def __init__(self, stream: TextSink, *, variables: Sequence[str], wrt: Sequence[str]) -> None:
        self.stream = stream
        self.wrt = tuple(wrt)
        self.rows = 0
        # A template filled per row: variable names are ASCII identifiers, so dumps is enough to quote them.
        at = ", ".join(f"{json.dumps(name)}: {{}}" for name in variables)
        entries = ", ".join(
            f'{json.dumps(name)}: {{{{"autograd": {{}}, "symbolic": {{}}, "abs_error": {{}}}}}}'
            for name in wrt
        )
        self.template = f'{{{{"at": {{{{{at}}}}}, "f": {{}}, "derivatives": {{{{{entries}}}}}}}}}\n'

    def __call__(self, chunk: GridChunk) -> None:
        """Write one chunk's lines."""
        rows = zip(*_columns(chunk, self.wrt, _json_text), strict=True)
        self.stream.write("".join(self.template.format(*row) for row in rows))
        self.rows += len(chunk)
