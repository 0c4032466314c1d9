"""Files named by options, checked before any work: each can be written, and no file is named twice.

Files are compared as files, not as strings: ``f`` and ``./f``, a symlink
and its target, and a batch's input redirected from the file it would write
are each one file.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from derivcli.errors import DerivError, ErrorKind

#: An option and the path it names ('-' is stdout or stdin, never a file).
Named = tuple[str, str]


def check_outputs(outputs: Sequence[Named], *, inputs: Sequence[Named] = ()) -> None:
    """Refuse an output that cannot be written, or that is an input or another output.

    ``inputs`` may name ``-`` for standard input: when it is redirected from
    a file, that file counts as the input.
    """
    files = [(option, path) for option, path in outputs if path is not None and path != "-"]
    for option, path in files:
        _check_writable(option, path)
    seen: dict[object, Named] = {}
    for option, path in [*inputs, *files]:
        identity = _identity(path)
        if identity is None:
            continue
        if identity in seen:
            first_option, first_path = seen[identity]
            if (first_option, first_path) in inputs:
                raise DerivError(ErrorKind.BAD_OPTION, f"{option} {path!r} {_is_the_input(first_path)}")
            raise DerivError(
                ErrorKind.BAD_OPTION, f"{first_option} and {option} name the same file {first_path!r}"
            )
        seen[identity] = (option, path)


def _check_writable(option: str, path: str) -> None:
    """Refuse a path whose folder is missing, or that is a folder, with the reason open() would give."""
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        reason = errno.EISDIR
    elif not folder.is_dir():
        reason = errno.ENOENT if not folder.exists() else errno.ENOTDIR
    elif not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        reason = errno.EACCES
    else:
        return
    raise cannot_write(option, path, os.strerror(reason))


def cannot_write(option: str, path: str, reason: str) -> DerivError:
    """The error of a file option whose path cannot be opened for writing."""
    return DerivError(ErrorKind.BAD_OPTION, f"{option}: cannot write {path!r}: {reason}")


def _identity(path: str) -> object | None:
    """What makes two paths one file: device and inode where it exists, else its absolute path.

    Only regular files (and paths not created yet) count: writing /dev/null twice harms nothing.
    """
    if path == "-":
        # Standard input redirected from a file is that file; a pipe or a terminal is no file.
        try:
            status = os.fstat(sys.stdin.fileno())
        except (AttributeError, OSError, ValueError):
            return None
        return (status.st_dev, status.st_ino) if stat.S_ISREG(status.st_mode) else None
    try:
        status = os.stat(path)
    except OSError:
        return str(Path(path).resolve())
    return (status.st_dev, status.st_ino) if stat.S_ISREG(status.st_mode) else None


def _is_the_input(path: str) -> str:
    """The end of the message for an output that is the input."""
    if path == "-":
        return "is the file standard input reads from: writing it would destroy the input"
    return f"is the input file {path!r}: writing it would destroy the input"
