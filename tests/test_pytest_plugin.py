"""The ``derivcheck`` fixture of deriv's pytest plugin, loaded through its entry point."""

from __future__ import annotations

import pytest


def test_the_fixture_checks_a_plain_function(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_softplus="""
import torch


def test_softplus(derivcheck):
    derivcheck.gradient_matches(torch.nn.functional.softplus, "log(1 + exp(x))", at={"x": 0.3})


def test_wrong(derivcheck):
    derivcheck.gradient_matches(torch.sin, "cos(x)", at={"x": 0.3})
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: sin does not match cos(x): 2 of 2 values differ"])


def test_the_plugin_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    # Loaded in every pytest run where deriv is installed: it must cost nothing until used.
    result = pytester.runpython_c(
        "import sys, derivcli.pytest_plugin; print(sorted({'torch', 'sympy'} & set(sys.modules)))"
    )
    result.stdout.fnmatch_lines(["[[][]]"])
