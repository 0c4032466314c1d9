"""Error messages for people: one line, then the offending text with a caret under it."""

from __future__ import annotations

from derivcli.errors import DerivError


def printable(text: str) -> str:
    """Replace characters a terminal would act on (escapes, controls) by '?', one for one."""
    return "".join(char if char.isprintable() else "?" for char in text)


def error_lines(error: DerivError, *, program: str = "deriv") -> list[str]:
    """The message line, and for errors with a column the source line and a caret line."""
    lines = [f"{program}: error: {printable(error.describe())}"]
    if error.source is not None and error.column is not None:
        source = printable(error.source)
        start = max(0, min(error.column - 1, len(source)))
        width = max(1, min(error.length, max(1, len(source) - start)))
        lines.append(f"  {source}")
        lines.append("  " + " " * start + "^" * width)
    return lines
