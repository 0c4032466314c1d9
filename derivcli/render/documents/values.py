"""Numbers as strict JSON allows them, errors as documents, and printing a document with its versions."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from derivcli.errors import DerivError
from derivcli.model.versions import versions

if TYPE_CHECKING:
    pass

JsonNumber = float | str


def json_number(value: float) -> JsonNumber:
    """A float as strict JSON allows it: itself when finite, else "nan", "inf" or "-inf"."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def optional_number(value: float | None) -> JsonNumber | None:
    """A float as strict JSON allows it, or null."""
    return None if value is None else json_number(value)


def numbers_document(values: Mapping[str, float | None]) -> dict[str, JsonNumber | None]:
    """Floats by name as strict JSON allows them (null for a coordinate of a symbolic point)."""
    return {name: optional_number(value) for name, value in values.items()}


def dumps(document: Mapping[str, Any]) -> str:
    """Serialise strictly: a stray non-finite float is a bug, so it raises."""
    return json.dumps(document, indent=2, ensure_ascii=True, allow_nan=False)


def with_versions(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with ``versions``: deriv's, torch's and SymPy's, which every printed document carries."""
    return {**document, "versions": versions()}


def print_json(document: Mapping[str, Any]) -> None:
    """Print one strict JSON document on stdout (with the versions that made it)."""
    sys.stdout.write(dumps(with_versions(document)) + "\n")


def error_document(error: DerivError) -> dict[str, Any]:
    """The document printed on stdout for an error under ``--json``."""
    body: dict[str, Any] = {"kind": error.kind.value, "message": error.describe(), "column": error.column}
    if error.step is not None:
        body["step"] = error.step
    return {"error": body}
