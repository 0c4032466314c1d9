"""Numbers as the tables print them: floats that read back exactly, errors to three digits."""

from __future__ import annotations

import math


def format_float(value: float) -> str:
    """The shortest text that reads back as exactly this float."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def format_error(value: float) -> str:
    """Errors to three significant digits (exact zero stays 0)."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return format_float(value)
    return f"{value:.3g}"
