"""The comparison: agreement, errors, notes, tolerances."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from derivcli.core.compare import Options, compare
from derivcli.errors import DerivError
from derivcli.model.eval import Report
from derivcli.model.plan import make_plan
from derivcli.model.setup import DType, Mode, Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point


def report(text: str, *points: str, mode: Mode = Mode.EVAL, simplify: bool = False, **setup: Any) -> Report:
    """Compare both witnesses; ``setup`` takes device, dtype, rtol and atol."""
    plan = make_plan(mode=mode, expression=parse_expression(text), points=[parse_point(p) for p in points])
    return compare(plan, Options(setup=Setup.checked(**setup), simplify=simplify))


def test_report_fields() -> None:
    result = report("6*x**2+2*x+4", "x=3")
    assert (result.expression, result.variables, result.wrt, result.device, result.dtype) == (
        "6*x**2 + 2*x + 4",
        ("x",),
        ("x",),
        "cpu",
        "float64",
    )
    assert result.derivatives == {"x": "12*x + 2"}
    (point,) = result.points
    assert (point.at, point.at_exact, point.value, point.value_exact, point.value_autograd) == (
        {"x": 3.0},
        {"x": "3"},
        64.0,
        "64",
        64.0,
    )
    entry = point.derivatives["x"]
    assert (entry.exact, entry.symbolic_value, entry.autograd, entry.agree, entry.note) == (
        "38",
        38.0,
        38.0,
        True,
        None,
    )


def test_exact_point_values_are_kept() -> None:
    (point,) = report("sin(x)", "x=pi/4").points
    assert point.at_exact == {"x": "pi/4"}
    assert point.at == {"x": math.pi / 4}
    assert point.derivatives["x"].exact == "sqrt(2)/2"


def test_float32_default_tolerance() -> None:
    result = report("exp(100*x)", "x=0.1", dtype="float32")
    assert (result.rtol, result.atol) == (1e-5, 1e-6)
    assert result.points[0].derivatives["x"].agree is True


def test_user_tolerance_overrides_default() -> None:
    result = report("x**2", "x=1/3", dtype="float32", rtol=1e-3)
    assert result.rtol == 1e-3
    assert result.points[0].derivatives["x"].agree is True


def test_no_points_still_gives_the_derivative() -> None:
    result = report("sin(x)**2")
    assert result.derivatives == {"x": "2*sin(x)*cos(x)"}
    assert result.points == ()


def test_simplify_option() -> None:
    plain = report("sin(x)**2 + cos(x)**2 + x")
    simplified = report("sin(x)**2 + cos(x)**2 + x", simplify=True)
    assert plain.derivatives == {"x": "1"}
    assert simplified.derivatives == {"x": "1"}
    tangled = report("(x**2 - 1)/(x - 1)", simplify=True)
    assert tangled.derivatives == {"x": "1"}


def test_overflow_is_finite_but_beyond_float64() -> None:
    entry = report("exp(x)", "1000").points[0].derivatives["x"]
    assert (entry.exact, entry.symbolic_value, entry.autograd, entry.agree) == (
        "exp(1000)",
        math.inf,
        math.inf,
        True,
    )
    assert entry.note == "the exact value, about 1.97e+434, is finite but beyond float64's range"


def test_autograd_sees_the_expression_as_written() -> None:
    # SymPy turns sqrt(x)**2 into x; torch computes sqrt(-4) = nan, as written.
    entry = report("sqrt(x)**2", "-4").points[0].derivatives["x"]
    assert (entry.symbolic_value, math.isnan(entry.autograd), entry.agree) == (1.0, True, False)
    assert entry.note == (
        "autograd gives nan: a step of the expression as written is undefined in float64 arithmetic"
        " (0*inf, inf/inf, inf-inf, or a function outside its domain), while SymPy's form, x, is finite here"
    )


def test_point_overflowing_the_dtype_is_refused() -> None:
    with pytest.raises(DerivError) as caught:
        report("x**2", "1e39", dtype="float32")
    assert (caught.value.message, caught.value.column) == ("x=1e39 overflows float32 in --at '1e39'", 1)


def test_huge_integer_exponent() -> None:
    (point,) = report("x**(10**20)", "2").points
    assert (point.value_autograd, point.derivatives["x"].autograd) == (math.inf, math.inf)


def test_constants_that_cancel_are_exactly_zero() -> None:
    (point,) = report("x*(sin(1)**2 + cos(1)**2 - 1)", "1").points
    entry = point.derivatives["x"]
    assert (point.value, point.value_autograd, entry.symbolic_value, entry.autograd) == (0.0, 0.0, 0.0, 0.0)


def test_complex_constants_are_refused() -> None:
    with pytest.raises(DerivError, match="the expression is not real"):
        report("x + sqrt(-1)", "1")
    with pytest.raises(DerivError, match="max cannot take these arguments"):
        report("max(x, sqrt(-1))", "1")


def test_max_of_a_value_that_is_not_real_at_the_point() -> None:
    entry = report("max(1, sqrt(x))", "-4").points[0].derivatives["x"]
    assert (entry.exact, math.isnan(entry.symbolic_value), entry.agree) == (None, True, False)


def test_analysis_survives_complex_values_inside_min() -> None:
    entry = report("softplus(min(sin(y**0.5), 0))", "y=-1").points[0].derivatives["y"]
    assert (math.isnan(entry.autograd), entry.agree) == (True, False)


X = 0.7

# f, x, second derivative, third derivative (closed forms written by hand).
CLOSED_FORMS: list[tuple[str, float, Callable[[float], float], Callable[[float], float]]] = [
    ("x**4", 2.0, lambda x: 12 * x**2, lambda x: 24 * x),
    ("sin(x)", X, lambda x: -math.sin(x), lambda x: -math.cos(x)),
    ("cos(x)", X, lambda x: -math.cos(x), lambda x: math.sin(x)),
    ("exp(2*x)", X, lambda x: 4 * math.exp(2 * x), lambda x: 8 * math.exp(2 * x)),
    ("log(x)", X, lambda x: -1 / x**2, lambda x: 2 / x**3),
    ("sqrt(x)", X, lambda x: -0.25 * x**-1.5, lambda x: 0.375 * x**-2.5),
    ("1/x", X, lambda x: 2 / x**3, lambda x: -6 / x**4),
    ("tanh(x)", X, lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), lambda x: _tanh3(x)),
    ("atan(x)", X, lambda x: -2 * x / (1 + x**2) ** 2, lambda x: (6 * x**2 - 2) / (1 + x**2) ** 3),
    ("x*exp(x)", X, lambda x: (x + 2) * math.exp(x), lambda x: (x + 3) * math.exp(x)),
    ("sigmoid(x)", X, lambda x: _sigmoid2(x), lambda x: _sigmoid3(x)),
    ("x**3 - 2*x**2 + x", X, lambda x: 6 * x - 4, lambda x: 6.0),
]


def _tanh3(x: float) -> float:
    t = math.tanh(x)
    return (1 - t**2) * (6 * t**2 - 2)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _sigmoid2(x: float) -> float:
    s = _sigmoid(x)
    return s * (1 - s) * (1 - 2 * s)


def _sigmoid3(x: float) -> float:
    s = _sigmoid(x)
    return s * (1 - s) * (1 - 6 * s + 6 * s**2)


def report_at_order(text: str, *at: str, mode: Mode = Mode.EVAL, order: int = 1, fd: bool = False) -> Report:
    """Compare both witnesses at derivatives of ``order`` (with the finite-difference witness if ``fd``)."""
    plan = make_plan(
        mode=mode, expression=parse_expression(text), points=[parse_point(p) for p in at], order=order
    )
    return compare(plan, Options(fd=fd))


@pytest.mark.parametrize(("text", "x", "second", "third"), CLOSED_FORMS)
def test_second_and_third_derivatives_match_closed_forms(
    text: str, x: float, second: Callable[[float], float], third: Callable[[float], float]
) -> None:
    for order, closed in ((2, second), (3, third)):
        entry = report_at_order(text, f"x={x!r}", order=order).points[0].derivatives[",".join(["x"] * order)]
        assert entry.agree, (text, order, entry)
        assert entry.symbolic_value == pytest.approx(closed(x), rel=1e-12, abs=1e-12)
        assert entry.autograd == pytest.approx(entry.symbolic_value, rel=1e-12, abs=1e-12)


def test_x_to_the_fourth_second_derivative_is_48_both_ways() -> None:
    entry = report_at_order("x**4", "x=2", order=2).points[0].derivatives["x,x"]
    assert (entry.exact, entry.autograd, entry.symbolic) == ("48", 48.0, "12*x**2")


def test_partial_order_two_keys_are_combinations() -> None:
    result = report_at_order("u*v + u**2", "u=1,v=2", mode=Mode.PARTIAL, order=2)
    derivatives = result.points[0].derivatives
    assert list(derivatives) == ["u,u", "u,v", "v,v"]
    assert [entry.autograd for entry in derivatives.values()] == [2.0, 1.0, 0.0]
    assert result.order == 2


@pytest.mark.parametrize(("text", "note"), [("abs(x)", "sign(x) jumps"), ("relu(x)", "heaviside(x) jumps")])
def test_dirac_delta_second_derivatives_are_explained(text: str, note: str) -> None:
    entry = report_at_order(text, "x=0", order=2).points[0].derivatives["x,x"]
    assert entry.autograd == 0.0
    assert not entry.agree
    assert entry.note is not None
    assert note in entry.note
    assert "Dirac delta" in entry.note


def test_fd_column_and_which_side_it_takes() -> None:
    entry = report_at_order("relu(x)", "x=0", fd=True).points[0].derivatives["x"]
    assert entry.fd == 0.5
    assert entry.note is not None
    assert "sides with symbolic" in entry.note
    smooth = report_at_order("exp(x)", "x=1", fd=True).points[0].derivatives["x"]
    assert smooth.fd_abs_error is not None
    assert smooth.fd_error_bound is not None
    assert smooth.fd_abs_error <= smooth.fd_error_bound


@pytest.mark.parametrize(
    ("text", "derivative"),
    [
        ("log1p(x)", "1/(x + 1)"),
        ("expm1(x)", "exp(x)"),
        ("hypot(x, 3)", "x/hypot(x, 3)"),
        ("logaddexp(x, 2*x)", "1/(exp(x) + 1) + 2/(1 + exp(-x))"),
        ("logsigmoid(x)", "sigmoid(-x)"),
    ],
)
@pytest.mark.parametrize("at", ["-1/2", "1e-8", "3"])
def test_functions_that_keep_bits_agree_both_ways(text: str, derivative: str, at: str) -> None:
    result = report(text, f"x={at}")
    assert result.derivatives == {"x": derivative}
    assert result.all_agree


def test_bits_are_measured_only_when_asked() -> None:
    plan = make_plan(
        mode=Mode.EVAL,
        expression=parse_expression("(exp(x)-1)/x"),
        points=[parse_point("x=1e-4")],
        wrt=(),
        order=1,
    )
    plain = compare(plan, Options(setup=Setup(dtype=DType.float32))).points[0].derivatives["x"]
    assert (plain.bits, plain.rewrites) == (None, None)
    measured = compare(plan, Options(setup=Setup(dtype=DType.float32), bits=True)).points[0].derivatives["x"]
    assert measured.bits is not None
    assert measured.bits.autograd == 31.0
    assert measured.rewrites is not None
    assert [rewrite.expression for rewrite in measured.rewrites] == [
        "x**3/24 + x**2/6 + x/2 + 1",
        "expm1(x)/x",
    ]


def test_second_derivatives_are_measured_without_the_backward_pass() -> None:
    plan = make_plan(
        mode=Mode.EVAL,
        expression=parse_expression("log(1+exp(x))"),
        points=[parse_point("x=100")],
        wrt=(),
        order=2,
    )
    entry = compare(plan, Options(setup=Setup(dtype=DType.float32), bits=True)).points[0].derivatives["x,x"]
    assert entry.bits is not None
    assert entry.bits.autograd == 32.0
    assert entry.bits.culprit is not None
    assert (entry.bits.culprit.operation, entry.bits.culprit.pass_.value) == ("exp(x)", "forward")
    assert entry.rewrites is not None
    assert entry.rewrites[0].expression == "softplus(x)"


@pytest.mark.parametrize(
    ("text", "derivative"),
    [
        ("sec(x)", "tan(x)*sec(x)"),
        ("csc(x)", "-cot(x)*csc(x)"),
        ("cot(x)", "-cot(x)**2 - 1"),
        ("acot(x)", "-1/(x**2 + 1)"),
        ("sech(x)", "-tanh(x)*sech(x)"),
        ("csch(x)", "-coth(x)*csch(x)"),
        ("coth(x)", "-1/sinh(x)**2"),
        ("ln(x)", "1/x"),
        ("cbrt(x)", "1/(3*root(x, 3)**2)"),
        ("root(x, 5)", "1/(5*root(x, 5)**4)"),
    ],
)
@pytest.mark.parametrize("at", ["2", "-3/2"])
def test_textbook_functions_agree_both_ways(text: str, derivative: str, at: str) -> None:
    if text == "ln(x)" and at.startswith("-"):
        at = "3/2"
    result = report(text, f"x={at}")
    assert result.derivatives == {"x": derivative}
    assert result.all_agree


def test_inverse_secant_and_cosecant_outside_minus_one_to_one() -> None:
    for text in ("asec(x)", "acsc(x)"):
        assert report(text, "x=2", "x=-3").all_agree


def test_a_real_cube_root_of_a_negative_number() -> None:
    entry = report("cbrt(x)", "x=-8").points[0]
    assert (entry.value, entry.derivatives["x"].exact) == (-2.0, "1/12")


def test_the_principal_root_at_a_negative_point_names_cbrt() -> None:
    entry = report("x**(1/3)", "x=-8").points[0].derivatives["x"]
    assert entry.note == (
        "x is negative at x=-8: its power 1/3 is the principal root, which is complex there;"
        " for the real root write cbrt(x)"
    )
