"""The translation of SymPy expressions (derivatives) to torch, and heads it cannot translate."""

from __future__ import annotations

import pytest
import sympy
import torch

from derivcli.core.numeric.sympy_translate import compile_expression
from derivcli.core.symbolic.build import build, differentiate
from derivcli.core.symbolic.exact import evaluate_at, rational_of_float
from derivcli.errors import DerivError, ErrorKind
from derivcli.parsing.grammar import parse_expression
from tests.core.numeric.test_translate import MAPPING_CASES


@pytest.mark.parametrize(("text", "points"), MAPPING_CASES)
def test_sympy_translation_evaluates_the_symbolic_derivative(text: str, points: list[float]) -> None:
    # compile_expression maps SymPy heads (Heaviside, sign, Pow, ...) to torch, for derivatives.
    built = build(parse_expression(text))
    (name,) = built.symbols
    x = built.symbols[name]
    derivative = differentiate(built.expr, x)
    function = compile_expression(derivative)
    values = function({name: torch.tensor(points, dtype=torch.float64)}).tolist()
    for got, p in zip(values, points, strict=True):
        want = evaluate_at(derivative, {x: rational_of_float(p)}).value
        assert got == pytest.approx(want, rel=1e-13, abs=1e-15)


def test_untranslatable_head_is_a_deriv_error() -> None:
    x = sympy.Symbol("x", real=True)
    with pytest.raises(DerivError) as caught:
        compile_expression(sympy.gamma(x))
    assert caught.value.kind is ErrorKind.UNSUPPORTED
