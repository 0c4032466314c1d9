"""CSV and JSON Lines streams: headers, exact values, strict JSON, one row per point."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.gridplan import GridChunk
from derivcli.render.stream import CsvWriter, JsonLinesWriter, csv_header


def chunk(start: int, x: list[float]) -> GridChunk:
    array = np.array(x)
    return GridChunk(
        start=start,
        coordinates={"x": array},
        value=array**2,
        autograd={"x": 2 * array},
        symbolic={"x": 2 * array + 1e-16},
    )


def refuse(constant: str) -> None:
    raise ValueError(f"non-strict JSON constant {constant}")


def test_csv_header_plain_for_one_derivative() -> None:
    assert csv_header(["x"], ["x"]) == ["x", "f", "autograd", "symbolic", "abs_error"]


def test_csv_header_names_each_derivative_for_several() -> None:
    assert csv_header(["u", "v"], ["u", "v"]) == [
        "u",
        "v",
        "f",
        "autograd_u",
        "symbolic_u",
        "abs_error_u",
        "autograd_v",
        "symbolic_v",
        "abs_error_v",
    ]


def test_a_variable_named_like_a_column_is_refused() -> None:
    with pytest.raises(DerivError) as caught:
        csv_header(["f"], ["f"])
    assert caught.value.kind is ErrorKind.BAD_OPTION
    assert caught.value.message.startswith("variable 'f' has the name of a CSV column")


def test_csv_rows_read_back_exactly_chunk_by_chunk() -> None:
    stream = io.StringIO()
    writer = CsvWriter(stream, variables=["x"], wrt=["x"])
    writer(chunk(0, [0.1, 0.2]))
    writer(chunk(2, [1 / 3, float("nan")]))
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert writer.rows == len(rows) == 4
    assert [float(row["x"]) for row in rows[:3]] == [0.1, 0.2, 1 / 3]
    assert float(rows[2]["f"]) == (1 / 3) ** 2
    assert float(rows[1]["abs_error"]) == abs(0.4 - (0.4 + 1e-16))
    assert (rows[3]["x"], rows[3]["autograd"]) == ("nan", "nan")


def test_json_lines_are_strict_and_keyed_like_eval() -> None:
    stream = io.StringIO()
    writer = JsonLinesWriter(stream, variables=["x"], wrt=["x"])
    writer(chunk(0, [3.0, float("inf")]))
    lines = [json.loads(line, parse_constant=refuse) for line in stream.getvalue().splitlines()]
    assert lines[0] == {
        "at": {"x": 3.0},
        "f": 9.0,
        "derivatives": {"x": {"autograd": 6.0, "symbolic": 6.0, "abs_error": 0.0}},
    }
    assert lines[1]["at"] == {"x": "inf"}
    assert lines[1]["derivatives"]["x"]["abs_error"] == "nan"
    assert writer.rows == 2


def test_json_lines_with_two_variables() -> None:
    stream = io.StringIO()
    writer = JsonLinesWriter(stream, variables=["u", "v"], wrt=["v"])
    one = np.array([1.0])
    writer(GridChunk(0, {"u": one, "v": 2 * one}, 3 * one, {"v": one}, {"v": one}))
    assert json.loads(stream.getvalue()) == {
        "at": {"u": 1.0, "v": 2.0},
        "f": 3.0,
        "derivatives": {"v": {"autograd": 1.0, "symbolic": 1.0, "abs_error": 0.0}},
    }
