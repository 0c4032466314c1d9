"""Mapping to ASCII and tokenising: implicit products, number tokens, and columns in the user's text."""

from __future__ import annotations

from fractions import Fraction

import pytest

from derivcli.errors import DerivError
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.tree import Number, Power, Product, Variable


def refusal(text: str) -> DerivError:
    with pytest.raises(DerivError) as caught:
        parse_expression(text)
    return caught.value


def test_implicit_multiplication_builds_products() -> None:
    tree = parse_expression("6x^2").tree
    assert isinstance(tree, Product)
    (_, six), (_, power) = tree.factors
    assert six == Number(Fraction(6), "6", 1)
    assert isinstance(power, Power)
    assert power.base == Variable("x", 2)
    assert power.exponent == Number(Fraction(2), "2", 4)


def test_scientific_notation_is_a_number_not_a_product() -> None:
    tree = parse_expression("2e3x").tree
    assert isinstance(tree, Product)
    assert tree.factors[0][1] == Number(Fraction(2000), "2e3", 1)
    assert tree.factors[1][1] == Variable("x", 4)


def test_complex_literals_read_as_implicit_products() -> None:
    # "2j" is 2*j: j is an ordinary variable, as in any other name.
    assert parse_expression("2j").variables == ("j",)


def test_error_columns_count_in_the_users_text_after_mapping() -> None:
    # "²" becomes "**2" internally; the column still counts user characters.
    error = refusal("x\u00b2 + foo(x)")
    assert error.column == 6
    assert error.length == 3
