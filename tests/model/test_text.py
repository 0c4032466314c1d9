"""Numbers and points written one way for every command."""

from __future__ import annotations

import math

from derivcli.model.text import format_number, point_label


def test_format_number_reads_back_exactly() -> None:
    assert format_number(38.0) == "38"
    assert format_number(0.1) == "0.1"
    assert format_number(1e16) == "1e+16"
    assert format_number(math.nan) == "nan"
    assert format_number(None) == "unknown"
    assert format_number(None, missing="None") == "None"


def test_point_label_writes_each_value_as_asked() -> None:
    assert point_label({"x": "3", "y": "pi/4"}) == "x=3, y=pi/4"
    assert point_label({"u": 0.5, "v": 2.0}, text=repr) == "u=0.5, v=2.0"
    assert point_label({"x": 2.0}, text=format_number) == "x=2"
    assert point_label({}) == ""
