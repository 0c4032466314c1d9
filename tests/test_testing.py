"""The test helpers, run as a user's test suite would run them (pytester, in a subprocess).

In a subprocess, because an inline pytester run forgets the modules it imported
when it ends, and torch's do not survive being imported twice in one process.
"""

from __future__ import annotations

import re
import shutil

import pytest
import torch

from derivcli.testing import assert_gradient_matches
from tests.conftest import FIXTURES, ROOT

SUITE = """
from lab_ops import SQ, GoodSQ
from derivcli.testing import assert_function_matches


def test_tutorial_sq():
    assert_function_matches(SQ, "x**2", at=[{"x": 2}, {"x": -1.5}])


def test_fixed_sq():
    assert_function_matches(GoodSQ, "x**2", at=[{"x": 2}, {"x": -1.5}])
"""


def test_the_tutorial_sq_fails_and_the_fixed_one_passes(pytester: pytest.Pytester) -> None:
    shutil.copy(FIXTURES / "lab_ops.py", pytester.path / "lab_ops.py")
    pytester.makepyfile(test_square=SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: SQ does not match x**2: 3 of 6 checks failed",
            "*backward scales with grad_output: backward ignores grad_output:"
            " with grad_output=3 it returned 4, expected 12 (at x=2)*",
        ]
    )


def test_gradient_helper_message() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_gradient_matches(lambda x: x * x.detach(), "x**2", at=[{"x": 3}, {"x": 0.5}])
    assert str(caught.value) == (
        "<lambda> does not match x**2: 2 of 4 values differ\n"
        "  d/dx = 2*x at x=3: expected 6, got 3\n"
        "  d/dx = 2*x at x=0.5: expected 1, got 0.5"
    )
    assert_gradient_matches(lambda x: x * x, "x**2", at={"x": 3})


def test_a_point_without_a_real_value_says_so() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_gradient_matches(torch.sqrt, "sqrt(x)", at={"x": -1})
    assert str(caught.value).splitlines()[1] == (
        "  f at x=-1: expected nan, got nan (the expression has no real value there: choose another point)"
    )


def test_the_readme_example_runs(pytester: pytest.Pytester) -> None:
    # The README's "In your tests" example, saved and run as it says.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## In your tests", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    pytester.makepyfile(test_square=code.group(1))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
