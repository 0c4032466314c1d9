"""Assertions for test suites: a custom autograd Function, or a plain torch function, against an expression.

::

    from derivcli.testing import assert_function_matches, assert_gradient_matches

    def test_square():
        assert_function_matches(Square, "x**2", at=[{"x": 2}, {"x": -1.5}])

    def test_softplus():
        assert_gradient_matches(torch.nn.functional.softplus, "log(1 + exp(x))", at={"x": 0.3})

A failure is an ``AssertionError`` that says which check failed, at which
point, what was expected and what came back. The expected values are exact
(SymPy), rounded once; nothing is a finite difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from derivcli.api import At, check_function, check_gradient
from derivcli.model.check import FAIL
from derivcli.model.text import format_number, point_label

__all__ = ["assert_function_matches", "assert_gradient_matches"]


def assert_function_matches(function: type, expression: str, *, at: At = None, taylor: bool = False) -> None:
    """Fail unless the ``torch.autograd.Function`` subclass computes ``expression`` and its derivative.

    The checks of ``deriv check``: forward, backward, backward scaled by a
    grad_output of 3, a batch with random grad_output, gradcheck and
    gradgradcheck (and, with ``taylor``, the Taylor remainder test).
    """
    report = check_function(function, against=expression, at=at, taylor=taylor).report
    failed = [check for check in report.checks if check.status == FAIL]
    if not failed:
        return
    lines = [
        f"{report.function} does not match {expression}: {len(failed)} of {len(report.checks)} checks failed"
    ]
    lines += [f"  {check.name}: {check.message}" for check in failed]
    raise AssertionError("\n".join(lines))


def assert_gradient_matches(function: Callable[..., Any], expression: str, *, at: At = None) -> None:
    """Fail unless the torch function's value and gradient equal ``expression``'s at every point.

    ``function`` is called with one 0-d float64 tensor per variable of
    ``expression``, in the order they first appear, and returns a 0-d tensor.
    """
    report = check_gradient(function, against=expression, at=at).report
    wrong = [value for value in report.values if not value.agree]
    if not wrong:
        return
    lines = [
        f"{report.function} does not match {expression}: {len(wrong)} of {len(report.values)} values differ"
    ]
    for value in wrong:
        what = "f" if value.name is None else f"d/d{value.name} = {report.derivatives[value.name]}"
        # nan expected: the expression has no real value there, so no answer can match: a point to move.
        why = (
            " (the expression has no real value there: choose another point)"
            if math.isnan(value.expected)
            else ""
        )
        lines.append(
            f"  {what} at {point_label(value.at, text=format_number)}:"
            f" expected {format_number(value.expected)}, got {format_number(value.got)}{why}"
        )
    raise AssertionError("\n".join(lines))
