"""The operations of an expression as written, in torch's order, each runnable alone."""

from __future__ import annotations

from derivcli.core.bits.operations import Arithmetic, operations
from derivcli.parsing.grammar import parse_expression


def _listed(text: str) -> list[tuple[str, str, str]]:
    return [
        (item.text, item.alone.text, item.arithmetic.value) for item in operations(parse_expression(text))
    ]


def test_each_operation_after_its_operands() -> None:
    assert _listed("(exp(x)-1)/x") == [
        ("exp(x)", "exp(_0)", "other"),
        ("exp(x) - 1", "_0 - 1", "add"),
        ("(exp(x) - 1)/x", "_0/_1", "divide"),
    ]


def test_a_chain_is_one_step_per_operator_left_to_right() -> None:
    assert _listed("a + b - c") == [("a + b", "_0 + _1", "add"), ("a + b - c", "_0 - _1", "add")]
    assert _listed("x*y/z") == [("x*y", "_0*_1", "multiply"), ("x*y/z", "_0/_1", "divide")]


def test_constants_stay_inside_the_operation() -> None:
    ((text, alone, _),) = _listed("x**2")
    assert (text, alone) == ("x**2", "_0**2")
    assert [item.text for item in operations(parse_expression("2*3*x"))] == ["2*3*x"]


def test_functions_of_many_arguments_go_pairwise() -> None:
    assert [text for text, _, _ in _listed("max(x, 1, y)")] == ["max(x, 1)", "max(x, 1, y)"]


def test_operands_are_the_subexpressions_with_variables() -> None:
    last = operations(parse_expression("sqrt(x*x+1)"))[-1]
    assert [str(operand.__class__.__name__) for operand in last.operands] == ["Sum"]
    assert last.arithmetic is Arithmetic.OTHER
