"""Untrusted text to code for Python's parser: map it to ASCII, then tokenise it.

Only the documented non-ASCII characters are read (as ASCII); implicit
multiplication becomes ``*`` and ``^`` becomes ``**``. Each step keeps a map from
its output back to the user's columns, so that errors point at what was typed.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Mapping
from typing import Final

from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.numbers import MAX_SIGNIFICANT_DIGITS, exact_number

#: Non-ASCII characters read as ASCII; every other non-ASCII character is refused.
CHARACTER_MAP: Final[Mapping[str, str]] = {
    "\u2212": "-",  # MINUS SIGN
    "\u00d7": "*",  # MULTIPLICATION SIGN
    "\u00b7": "*",  # MIDDLE DOT
    "\u22c5": "*",  # DOT OPERATOR
    "\u00b2": "**2",  # SUPERSCRIPT TWO
    "\u00b3": "**3",  # SUPERSCRIPT THREE
}
_SUPERSCRIPTS: Final = frozenset({"\u00b2", "\u00b3"})

_TOKEN: Final = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<number>(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?)"
    r"|(?P<caret>\^)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_NON_DECIMAL_LITERAL: Final = re.compile(r"0[xXoObB][0-9A-Za-z]")


def describe_character(char: str) -> str:
    """Name a character by code point and Unicode name, e.g. ``U+0445 CYRILLIC SMALL LETTER HA``."""
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code


def to_ascii(text: str, what: str) -> tuple[str, list[int]]:
    """Map the few documented characters to ASCII and refuse every other non-ASCII one.

    Returns the ASCII text and, for each of its characters, the index of the
    character of ``text`` it came from (plus one entry for the end).
    """
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in _SUPERSCRIPTS and index > 0 and text[index - 1] in _SUPERSCRIPTS:
            # x²³ could mean x**23 or (x**2)**3: refuse rather than guess.
            raise DerivError(
                ErrorKind.SYNTAX,
                f"consecutive superscripts are ambiguous: write the power with ** or ^ in {what}",
                source=text,
                column=index,
                length=2,
            )
        if " " <= char <= "~":
            replacement = char
        elif char in CHARACTER_MAP:
            replacement = CHARACTER_MAP[char]
        elif char in "\t\n\r":
            replacement = " "
        else:
            shown = f" ({char!r})" if char.isprintable() else ""
            raise DerivError(
                ErrorKind.NON_ASCII,
                f"character {describe_character(char)}{shown} is not allowed in {what}",
                source=text,
                column=index + 1,
            )
        pieces.append(replacement)
        origin.extend([index] * len(replacement))
    origin.append(len(text))
    return "".join(pieces), origin


def tokenise(text: str, ascii_text: str, origin: list[int], what: str) -> tuple[str, list[int]]:
    """Insert implicit multiplication, turn ``^`` into ``**`` and refuse keywords."""
    out: list[str] = []
    out_origin: list[int] = []

    def emit(piece: str, source_index: int) -> None:
        out.append(piece)
        out_origin.extend([source_index] * len(piece))

    for match in _TOKEN.finditer(ascii_text):
        start, end = match.span()
        token = match.group()
        if match.lastgroup == "name":
            if keyword.iskeyword(token):
                raise DerivError(
                    ErrorKind.KEYWORD,
                    f"{token!r} is a Python keyword, not allowed in {what}",
                    source=text,
                    column=origin[start] + 1,
                    length=len(token),
                )
            for offset, char in enumerate(token):
                emit(char, origin[start + offset])
        elif match.lastgroup == "number":
            if _NON_DECIMAL_LITERAL.match(ascii_text, start):
                raise DerivError(
                    ErrorKind.BAD_NUMBER,
                    "hexadecimal, octal and binary numbers are not supported",
                    source=text,
                    column=origin[start] + 1,
                    length=2,
                )
            if re.match(r"[eE][+-](?![0-9])", ascii_text[end:]):
                # 3e-x: Python reads a malformed exponent; 3*e - x would be a silent guess.
                raise DerivError(
                    ErrorKind.BAD_NUMBER,
                    f"malformed number {ascii_text[start : end + 2]!r}: an exponent needs digits",
                    source=text,
                    column=origin[start] + 1,
                    length=end + 2 - start,
                )
            if len(token) > MAX_SIGNIFICANT_DIGITS:
                # Python's own parser refuses integer literals of over 4,300 digits with its
                # own message; check the digits first so that deriv's message is the one shown.
                exact_number(token, source=text, column=origin[start] + 1, length=end - start)
            for offset, char in enumerate(token):
                emit(char, origin[start + offset])
            following = ascii_text[end : end + 1]
            if following and (following.isalpha() or following in "_("):
                # A number directly followed by a name or a parenthesis multiplies it: 2x, 3(x+1).
                emit("*", origin[end])
        elif match.lastgroup == "caret":
            emit("**", origin[start])
        elif token == "#":
            # Python would read the rest as a comment: "x**2 # + 1000*x" would silently be x**2.
            raise DerivError(
                ErrorKind.NOT_ALLOWED,
                f"'#' is not allowed in {what}: it would turn the rest into an ignored comment",
                source=text,
                column=origin[start] + 1,
                length=len(ascii_text) - start,
            )
        else:
            emit(token, origin[start])
    out_origin.append(origin[-1])
    return "".join(out), out_origin
