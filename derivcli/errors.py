"""The one error family shown to users, and the process exit statuses."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """Exit statuses of the ``deriv`` command, documented in the README."""

    OK = 0
    DISAGREEMENT = 1
    BAD_INPUT = 2
    INTERNAL_ERROR = 3
    INTERRUPTED = 130


class ErrorKind(enum.StrEnum):
    """Stable, machine-readable error kinds (the ``kind`` key of a JSON error)."""

    SYNTAX = "syntax"
    NOT_ALLOWED = "not-allowed"
    UNKNOWN_FUNCTION = "unknown-function"
    ARITY = "arity"
    NON_ASCII = "non-ascii"
    KEYWORD = "keyword"
    BAD_NUMBER = "bad-number"
    TOO_LARGE = "too-large"
    TOO_LONG = "too-long"
    TOO_DEEP = "too-deep"
    BAD_POINT = "bad-point"
    BAD_RANGE = "bad-range"
    MISSING_VALUE = "missing-value"
    AMBIGUOUS_VARIABLE = "ambiguous-variable"
    BAD_OPTION = "bad-option"
    DEVICE_UNAVAILABLE = "device-unavailable"
    UNSUPPORTED = "unsupported"
    BAD_FILE = "bad-file"
    BAD_LINE = "bad-line"
    USER_CODE = "user-code"
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out-of-memory"
    WRITE_FAILED = "write-failed"
    KILLED = "killed"
    USAGE = "usage"
    INTERNAL = "internal"


class DerivError(Exception):
    """A problem with the user's input or environment, shown as a one-line message.

    ``column`` is 1-based and refers to ``source`` (the expression or option
    text the user typed); ``length`` is how many characters the caret marks.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        source: str | None = None,
        column: int | None = None,
        length: int = 1,
        step: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.source = source
        self.column = column
        self.length = max(1, length)
        #: For errors of a time or memory budget: the step that was running when it ran out.
        self.step = step
        #: What to do about it, said after where it happened ("the functions are abs, acos, ...").
        self.hint = hint

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross from the worker process to the parent pickled; keep every field.
        return (
            _rebuild,
            (self.kind, self.message, self.source, self.column, self.length, self.step, self.hint),
        )

    def describe(self) -> str:
        """The one-line message, with the column when there is one, then the hint."""
        where = "" if self.column is None else f" (column {self.column})"
        hint = "" if self.hint is None else f"; {self.hint}"
        return f"{self.message}{where}{hint}"

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return f"DerivError({self.kind.value!r}, {self.message!r}, column={self.column!r})"


class WorkerBugError(Exception):
    """An unexpected exception inside the worker process, carried over with its traceback text.

    Its message already names the original exception, e.g. ``ValueError: boom``.
    """

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details


def internal_message(error: Exception) -> str:
    """The one-line text of a bug in deriv, e.g. ``internal error: ValueError: boom``."""
    named = str(error) if isinstance(error, WorkerBugError) else f"{type(error).__name__}: {error}"
    return f"internal error: {named}"


def _rebuild(
    kind: ErrorKind,
    message: str,
    source: str | None,
    column: int | None,
    length: int,
    step: str | None,
    hint: str | None = None,
) -> DerivError:
    """Unpickle a :class:`DerivError` (see ``DerivError.__reduce__``)."""
    return DerivError(kind, message, source=source, column=column, length=length, step=step, hint=hint)
