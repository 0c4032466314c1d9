"""Error messages: one line, then the text with a caret; terminal controls neutralised."""

from __future__ import annotations

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.grammar import KNOWN_FUNCTIONS, parse_expression
from derivcli.render.messages import error_lines, printable


def lines_for(text: str) -> list[str]:
    with pytest.raises(DerivError) as caught:
        parse_expression(text)
    return error_lines(caught.value)


def test_caret_under_the_offending_text() -> None:
    assert lines_for("2*foo(x)") == [
        f"deriv: error: unknown function 'foo' (column 3); the functions are {KNOWN_FUNCTIONS}",
        "  2*foo(x)",
        "    ^^^",
    ]


def test_caret_at_the_end_for_unexpected_end() -> None:
    assert lines_for("x +") == [
        "deriv: error: unexpected end of expression (column 4)",
        "  x +",
        "     ^",
    ]


def test_control_characters_are_not_echoed() -> None:
    lines = lines_for("x\x1b[2J")
    assert all("\x1b" not in line for line in lines)
    assert lines[1] == "  x?[2J"


def test_error_without_column_is_one_line() -> None:
    assert error_lines(DerivError(ErrorKind.BAD_OPTION, "bad")) == ["deriv: error: bad"]


def test_printable() -> None:
    assert printable("a\tb\x00") == "a?b?"
