"""Versions from installed metadata, without importing the packages."""

from __future__ import annotations

from importlib import metadata

from derivcli import __version__
from derivcli.model.versions import installed_version, versions


def test_installed_versions_match_importlib_metadata() -> None:
    for package in ("torch", "sympy", "typer"):
        assert installed_version(package) == metadata.version(package)
    assert installed_version("no-such-package-here") is None


def test_versions_of_the_three() -> None:
    assert versions() == {
        "deriv": __version__,
        "torch": metadata.version("torch"),
        "sympy": metadata.version("sympy"),
    }
