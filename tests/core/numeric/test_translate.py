"""The parse-tree translation to torch, function by function, against SymPy's derivative."""

from __future__ import annotations

import pytest

from derivcli.core.numeric.autograd import autograd_at_points
from derivcli.core.numeric.translate import TORCH_BINARY, TORCH_FUNCTIONS, compile_tree
from derivcli.core.symbolic.build import SYMPY_FUNCTIONS, build, differentiate
from derivcli.core.symbolic.exact import evaluate_at, rational_of_float
from derivcli.parsing.grammar import parse_expression

# Each function at points inside its domain and away from its kinks.
MAPPING_CASES = [
    ("sin(x)", [-2.0, 0.3, 1.7]),
    ("cos(x)", [-2.0, 0.3, 1.7]),
    ("tan(x)", [-1.2, 0.3, 1.1]),
    ("asin(x)", [-0.9, 0.1, 0.7]),
    ("acos(x)", [-0.9, 0.1, 0.7]),
    ("atan(x)", [-3.0, 0.1, 5.0]),
    ("atan2(x, 2)", [-3.0, 0.1, 5.0]),
    ("atan2(1.5, x)", [-3.0, 0.1, 5.0]),
    ("sinh(x)", [-2.0, 0.3, 1.7]),
    ("cosh(x)", [-2.0, 0.3, 1.7]),
    ("tanh(x)", [-2.0, 0.3, 1.7]),
    ("asinh(x)", [-2.0, 0.3, 1.7]),
    ("acosh(x)", [1.5, 2.0, 7.0]),
    ("atanh(x)", [-0.9, 0.1, 0.7]),
    ("exp(x)", [-2.0, 0.3, 1.7]),
    ("log(x)", [0.1, 1.0, 7.5]),
    ("log(x, 2)", [0.1, 1.0, 7.5]),
    ("sqrt(x)", [0.1, 1.0, 7.5]),
    ("abs(x)", [-2.0, 0.3, 1.7]),
    ("erf(x)", [-2.0, 0.3, 1.7]),
    ("sigmoid(x)", [-2.0, 0.3, 1.7]),
    ("relu(x)", [-2.0, 0.3, 1.7]),
    ("softplus(x)", [-2.0, 0.3, 1.7]),
    ("min(x, 1)", [-2.0, 0.3, 1.7]),
    ("max(x, 1)", [-2.0, 0.3, 1.7]),
    ("max(x, 2x, -x)", [-2.0, 0.3, 1.7]),
    ("heaviside(x)", [-2.0, 0.3, 1.7]),
    ("x**3 - 2/x + x**(1/3)", [0.5, 1.0, 2.5]),
    ("2**x + x**x", [0.5, 1.0, 2.5]),
    ("1/sqrt(x)", [0.5, 1.0, 2.5]),
    ("pi*x + E + log(2)", [0.5, 1.0, 2.5]),
]


def autograd_and_exact(text: str, points: list[float], dtype: str = "float64"):  # type: ignore[no-untyped-def]
    """Autograd through the parse-tree translation (what deriv runs) and SymPy's exact values."""
    parsed = parse_expression(text)
    built = build(parsed)
    (name,) = built.symbols
    x = built.symbols[name]
    derivative = differentiate(built.expr, x)
    result = autograd_at_points(
        compile_tree(parsed),
        variables=[name],
        wrt=[name],
        points=[{name: p} for p in points],
        device="cpu",
        dtype=dtype,
    )
    exact_values = [evaluate_at(built.expr, {x: rational_of_float(p)}).value for p in points]
    exact_grads = [evaluate_at(derivative, {x: rational_of_float(p)}).value for p in points]
    return result, exact_values, exact_grads, name


@pytest.mark.parametrize(("text", "points"), MAPPING_CASES)
def test_torch_mapping_matches_sympy_derivative(text: str, points: list[float]) -> None:
    result, exact_values, exact_grads, name = autograd_and_exact(text, points)
    for got, want in zip(result.values, exact_values, strict=True):
        assert got == pytest.approx(want, rel=1e-13, abs=1e-15)
    for got, want in zip(result.gradients[name], exact_grads, strict=True):
        assert got == pytest.approx(want, rel=1e-13, abs=1e-15)


def test_every_parser_function_has_a_torch_counterpart() -> None:
    from derivcli.parsing.grammar import FUNCTION_ARITY

    assert set(TORCH_FUNCTIONS) | set(TORCH_BINARY) | {"log"} == set(FUNCTION_ARITY)
    assert set(SYMPY_FUNCTIONS) == set(FUNCTION_ARITY)


def test_log_of_a_constant_to_a_variable_base() -> None:
    result, _, exact_grads, _ = autograd_and_exact("log(2, x)", [2.0, 8.0])
    assert result.values == pytest.approx([1.0, 1 / 3], rel=1e-15)
    assert result.gradients["x"] == pytest.approx(exact_grads, rel=1e-13)


def test_float32_mapping() -> None:
    result, _, exact_grads, _ = autograd_and_exact("sin(x)*exp(x)", [0.5, 1.5], dtype="float32")
    assert result.dtype == "float32"
    for got, want in zip(result.gradients["x"], exact_grads, strict=True):
        assert got == pytest.approx(want, rel=1e-6)


def test_heaviside_has_zero_derivative_and_sympys_value_at_zero() -> None:
    result, _, _, _ = autograd_and_exact("heaviside(x)", [-1.0, 0.0, 1.0])
    assert result.values == (0.0, 0.5, 1.0)
    assert result.gradients["x"] == (0.0, 0.0, 0.0)


def test_relu_and_abs_subgradients_at_zero() -> None:
    relu, _, _, _ = autograd_and_exact("relu(x)", [0.0])
    absolute, _, _, _ = autograd_and_exact("abs(x)", [0.0])
    maximum, _, _, _ = autograd_and_exact("max(x, 0)", [0.0])
    assert (relu.gradients["x"], absolute.gradients["x"], maximum.gradients["x"]) == ((0.0,), (0.0,), (0.5,))


def test_division_stays_a_division() -> None:
    # x/3 computed as x * (1/3) would round twice; torch.div rounds once.
    result, _, _, _ = autograd_and_exact("x/3", [1.0, 10.0])
    assert result.values == (1.0 / 3.0, 10.0 / 3.0)


@pytest.mark.parametrize(("text", "at", "slope"), [("max(1, 2, x)", 3.0, 1.0), ("min(1, 2, x)", 3.0, 0.0)])
def test_a_chain_of_maxima_that_starts_with_constants(text: str, at: float, slope: float) -> None:
    # max(1, 2, x) is max(max(1, 2), x): the constant pair is folded, not handed to torch as two floats.
    result = autograd_at_points(
        compile_tree(parse_expression(text)),
        variables=("x",),
        wrt=("x",),
        points=[{"x": at}],
        device="cpu",
        dtype="float64",
        derivatives=(("x",),),
    )
    assert list(result.gradients["x"]) == [slope]
