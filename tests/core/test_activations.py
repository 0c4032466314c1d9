"""sigmoid, relu and softplus as SymPy functions: values, derivatives, high precision."""

from __future__ import annotations

import math

import sympy

from derivcli.core.activations import relu, sigmoid, softplus

x = sympy.Symbol("x", real=True)


def test_sigmoid() -> None:
    assert sigmoid(0) == sympy.Rational(1, 2)
    assert sympy.diff(sigmoid(x), x) == sigmoid(x) * (1 - sigmoid(x))
    assert math.isclose(float(sigmoid(2).evalf(30)), 1 / (1 + math.exp(-2)), rel_tol=1e-15)


def test_relu() -> None:
    assert relu(sympy.Integer(3)) == 3
    assert relu(sympy.Integer(-3)) == 0
    assert relu(sympy.pi - 4) == 0
    assert sympy.diff(relu(x), x) == sympy.Heaviside(x)
    assert relu(x).rewrite(sympy.Max) == sympy.Max(0, x)


def test_softplus() -> None:
    assert softplus(0) == sympy.log(2)
    assert sympy.diff(softplus(x), x) == sigmoid(x)
    assert math.isclose(float(softplus(3).evalf(30)), math.log1p(math.exp(3)), rel_tol=1e-15)
    # log(1 + exp(-800)) is about exp(-800), far below float64 but not zero.
    assert sympy.Abs(softplus(-800).evalf(30) / sympy.exp(-800).evalf(30) - 1) < sympy.Float("1e-25")
