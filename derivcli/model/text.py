"""Numbers and points as people read them, written one way for every command."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any


def format_number(value: float | None, *, missing: str = "unknown") -> str:
    """Floats as the shortest text that reads back exactly; integers without '.0'; None as ``missing``."""
    if value is None:
        return missing
    if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def point_label(values: Mapping[str, object], *, text: Callable[[Any], str] = str) -> str:
    """A point as ``x=3, y=pi/4``: each name with its value, written by ``text``."""
    return ", ".join(f"{name}={text(value)}" for name, value in values.items())
