"""The notes of a comparison: kinks, domain edges, rounding of the point, values beyond range."""

from __future__ import annotations

import math

import pytest

from derivcli.model.setup import Mode
from tests.core.test_compare import report


def test_relu_kink_note_names_subgradient_and_one_sided_derivatives() -> None:
    entry = report("relu(x)", "0").points[0].derivatives["x"]
    assert entry.agree is False
    assert entry.note == (
        "not differentiable at x=0: relu(x) has a kink; one-sided derivatives 0 (left) and 1 (right);"
        " autograd used the subgradient 0, symbolic gives 1/2 by SymPy's convention; the Clarke"
        " subdifferential here is [0, 1] and autograd's 0 is in it (its minimum-norm element, PyTorch's"
        " pick at convex and concave kinks, is 0)"
    )


def test_log_at_zero_note() -> None:
    entry = report("log(x)", "0").points[0].derivatives["x"]
    assert entry.agree is False
    assert entry.note == (
        "x is 0 at x=0, the edge of the domain of log: log(x) is undefined there, and tends to -inf from"
        " inside the domain"
    )
    assert math.isnan(entry.symbolic_value)
    assert entry.autograd == math.inf


def test_sqrt_of_negative_note() -> None:
    entry = report("sqrt(x)", "-1").points[0].derivatives["x"]
    assert entry.note == "at x=-1 the argument x is outside the real domain of sqrt"
    assert entry.exact == "-I/2"


def test_float32_rounding_of_the_point_is_explained() -> None:
    result = report("x**2", "x=1/3", dtype="float32", rtol=1e-9, atol=0.0)
    entry = result.points[0].derivatives["x"]
    assert entry.agree is False
    assert entry.autograd == 0.6666666865348816
    assert entry.note == (
        "float32 rounding of the point explains the difference: autograd ran at x=0.3333333432674408,"
        " where the exact derivative is 0.6666666865348816"
    )


def test_point_rounding_to_zero_is_noted() -> None:
    entry = report("x**2", "1e-50", dtype="float32").points[0].derivatives["x"]
    assert entry.note == "x=1e-50 rounds to 0 in float32: autograd ran at x=0"


def test_astronomically_large_value_note_is_quick() -> None:
    entry = report("exp(exp(exp(x)))", "10").points[0].derivatives["x"]
    assert entry.note == (
        "the exact value, about 10 to a power of thousands of digits or more,"
        " is finite but beyond float64's range"
    )


@pytest.mark.parametrize(
    ("text", "at", "dtype", "note"),
    [
        ("relu(x)**2", "0", "float64", "relu(x) has a kink at x=0, but the derivative is continuous there"),
        (
            "heaviside(x)*x",
            "0",
            "float64",
            "not differentiable at x=0: heaviside(x) has a jump; one-sided derivatives 0 (left)"
            " and 1 (right); autograd used the subgradient 0.5, symbolic gives 1/2 by SymPy's convention",
        ),
        (
            "exp(x)",
            "100",
            "float32",
            "autograd overflows float32: the exact value 2.6881171418161356e+43 is beyond its range",
        ),
        ("atanh(x)", "1", "float64", "atanh(x) is infinite at x=1"),
        (
            "softplus(x)",
            "20.5",
            "float64",
            "torch's softplus is exactly its argument above 20 (its threshold), so autograd differentiates"
            " x there, not softplus(x); the difference is below exp(-20) relative",
        ),
    ],
)
def test_notes(text: str, at: str, dtype: str, note: str) -> None:
    assert report(text, at, dtype=dtype).points[0].derivatives["x"].note == note


def test_agreeing_only_through_atol_is_noted() -> None:
    # tanh'(20) = 1.7e-17 and autograd gives 0: within atol, a relative error of 100%.
    entry = report("tanh(x)", "x=20").points[0].derivatives["x"]
    assert entry.agree
    assert entry.note == (
        "agrees only through atol (1e-12): autograd 0 against 1.6993417021166355e-17 is a relative"
        " error of 1, above rtol (1e-09); not one digit is correct"
    )
    # 1 - cos(x) cancels at 1e-6: four digits survive.
    entry = report("x - sin(x)", "x=1e-6").points[0].derivatives["x"]
    assert entry.agree
    assert entry.note is not None
    assert entry.note.endswith(
        "is a relative error of 8.89e-05, above rtol (1e-09); about 4 digits are correct"
    )


def test_agreement_within_rtol_has_no_such_note() -> None:
    entry = report("exp(-x)", "x=30").points[0].derivatives["x"]
    assert (entry.agree, entry.note) == (True, None)


def test_an_overflow_behind_a_nan_is_named() -> None:
    # This note used to blame SymPy's form; exp(x) is what overflows, and inf/inf follows in backward.
    entry = report("log(1+exp(x))", "x=800").points[0].derivatives["x"]
    assert entry.note == (
        "autograd gives nan: exp(x) overflows float64 here (its exact value is about 2.73e+347),"
        " and the steps after it meet inf"
    )
    entry = report("log(1+exp(x))", "x=100", dtype="float32").points[0].derivatives["x"]
    assert entry.note is not None
    assert entry.note.startswith(
        "autograd gives nan: exp(x) overflows float32 here (its exact value is about 2.69e+43)"
    )


def test_a_nan_without_overflow_keeps_its_explanation() -> None:
    entry = report("sqrt(x)**2", "x=-4").points[0].derivatives["x"]
    assert entry.note is not None
    assert entry.note.startswith("autograd gives nan: a step of the expression as written is undefined")


def test_a_cancelled_form_is_said_not_to_hold_where_the_written_one_is_undefined() -> None:
    entry = report("(x**2-1)/(x-1)", "1").points[0].derivatives["x"]
    assert entry.symbolic == "1"
    assert entry.note is not None
    assert entry.note.endswith(
        "the derivative shown, 1, is a cancelled form: it has a value at x=1, but it is not valid there,"
        " where the expression as written is undefined"
    )


def test_complex_infinity_is_said_in_words() -> None:
    point = report("log(x)", "0").points[0]
    assert (point.value_exact, point.derivatives["x"].exact) == ("undefined (complex infinity)",) * 2
    entry = report("1/x", "0").points[0].derivatives["x"]
    assert entry.exact == "undefined (complex infinity)"


def test_atan2_on_its_branch_cut_gets_a_jump_note_along_y_only() -> None:
    derivatives = report("atan2(y, x)", "y=0,x=-1", mode=Mode.PARTIAL).points[0].derivatives
    assert derivatives["y"].note == (
        "atan2(y, x) is on its branch cut at y=0, x=-1 (y = 0, x < 0): it jumps by 2*pi as y changes sign,"
        " so there the derivative is a Dirac delta plus -1; autograd gives -1, the derivative of the side it"
        " computed"
    )
    assert derivatives["x"].note is None
    assert report("atan2(y, x)", "y=0,x=1", mode=Mode.PARTIAL).points[0].derivatives["y"].note is None
