"""The versions of deriv, torch and SymPy, read from installed metadata without importing either.

``deriv --version`` prints them, and every JSON document carries them: a
gradient at a kink can change between torch releases (clamp's at its bound is
1 up to 2.13, 0 from 2.14), so an answer says which torch gave it.
"""

from __future__ import annotations

import functools
import os
import sys

from derivcli import __version__


def installed_version(package: str) -> str | None:
    """A package's version from the name of its ``.dist-info`` folder on sys.path (None if absent).

    Listing a few folders takes well under a millisecond; importlib.metadata
    costs 20 ms to import, a third of ``deriv --version``. It remains the
    fallback for installs whose folder name says nothing.
    """
    prefix = f"{package}-"
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.lower().startswith(prefix) and name.endswith(".dist-info"):
                return name[len(prefix) : -len(".dist-info")]
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def versions() -> dict[str, str | None]:
    """deriv's, torch's and SymPy's versions (None for a package that is not installed)."""
    return {"deriv": __version__, "torch": installed_version("torch"), "sympy": installed_version("sympy")}
