"""deriv's pytest plugin: the ``derivcheck`` fixture, for suites that would rather not import the helpers.

Registered through the ``pytest11`` entry point, so pytest loads this module in
every run where deriv is installed: it imports nothing heavy until a test asks
for the fixture::

    def test_square(derivcheck):
        derivcheck.function_matches(Square, "x**2", at={"x": 2})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


class DerivCheck:
    """The assertions of :mod:`derivcli.testing`, as methods of the fixture."""

    def function_matches(self, function: type, expression: str, **options: Any) -> None:
        """``derivcli.testing.assert_function_matches``."""
        from derivcli.testing import assert_function_matches

        assert_function_matches(function, expression, **options)

    def gradient_matches(self, function: Callable[..., Any], expression: str, **options: Any) -> None:
        """``derivcli.testing.assert_gradient_matches``."""
        from derivcli.testing import assert_gradient_matches

        assert_gradient_matches(function, expression, **options)


@pytest.fixture
def derivcheck() -> DerivCheck:
    """deriv's assertions: ``derivcheck.function_matches(...)``, ``derivcheck.gradient_matches(...)``."""
    return DerivCheck()
