"""SymPy's derivative built by its own rules without Derivative's wrapper: the same expression, always."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcli.core.symbolic import chain_rule
from derivcli.core.symbolic.build import build
from derivcli.errors import DerivError
from derivcli.parsing.grammar import FUNCTION_ARITY, parse_expression

_LEAVES = st.sampled_from(["x", "y", "x", "2", "7", "pi", "1/2", "0.5", "-3"])


def _calls(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Every function of the grammar, with as many arguments as it takes (up to three)."""
    return st.sampled_from(sorted(FUNCTION_ARITY)).flatmap(
        lambda name: st.lists(
            children,
            min_size=FUNCTION_ARITY[name][0],
            max_size=min(FUNCTION_ARITY[name][1] or 3, 3),
        ).map(lambda arguments: f"{name}({', '.join(arguments)})")
    )


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        _calls(children),
        st.tuples(children, st.sampled_from("+-*/"), children).map(
            lambda parts: f"({parts[0]}){parts[1]}({parts[2]})"
        ),
        st.tuples(children, st.sampled_from(["2", "3", "-1", "1/3", "x", "y", "(x+1)"])).map(
            lambda parts: f"({parts[0]})**{parts[1]}"
        ),
    )


_EXPRESSIONS = st.recursive(_LEAVES, _combine, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_EXPRESSIONS)
def test_the_derivative_is_sympys(text: str) -> None:
    try:
        built = build(parse_expression(text))
    except DerivError:
        return  # undefined or not real as a whole: refused before any derivative
    for symbol in built.symbols.values():
        ours = chain_rule.derivative(built.expr, symbol)
        theirs = sympy.diff(built.expr, symbol)
        assert ours == theirs
        assert str(ours) == str(theirs)


@pytest.mark.parametrize(
    "text",
    [
        "8*cos(4*x) + x**2",
        "tanh(4*x)",  # 4*(1 - tanh(4x)**2): the number distributes over the sum, as in SymPy
        "x**x",
        "exp(x*y)*sin(x)/(1 + x**2)",
        "abs(x)*max(x, y)",  # functions with rules of their own: SymPy's
        "y",
        "3",
    ],
)
def test_known_shapes_differentiate_as_sympy_does(text: str) -> None:
    built = build(parse_expression(text))
    x = built.symbols.get("x", sympy.Symbol("x", real=True))
    assert chain_rule.derivative(built.expr, x) == sympy.diff(built.expr, x)


def test_a_result_holding_an_unevaluated_derivative_is_left_to_sympy() -> None:
    x = sympy.Symbol("x", real=True)
    f = sympy.Function("f")
    expr = f(x) * sympy.sin(x)
    assert chain_rule.derivative(expr, x) == sympy.diff(expr, x)
    assert chain_rule.derivative(expr, x).has(sympy.Derivative)
