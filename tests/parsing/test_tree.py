"""The parse tree printed back as text: only the parentheses it needs, and it parses back to itself."""

from __future__ import annotations

import dataclasses

import pytest

from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.tree import node_text


def _shape(node: object) -> object:
    """A tree without columns and literal texts, for comparing structure."""
    if isinstance(node, tuple):
        return tuple(_shape(item) for item in node)
    if dataclasses.is_dataclass(node):
        fields = [field.name for field in dataclasses.fields(node) if field.name not in ("column", "text")]
        return (type(node).__name__, *(_shape(getattr(node, name)) for name in fields))
    return node


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("6x^2+2x+4", "6*x**2 + 2*x + 4"),
        ("-(a+b)*c", "-(a + b)*c"),
        ("a-(b-c)", "a - (b - c)"),
        ("a/(b*c)", "a/(b*c)"),
        ("a*(b/c)", "a*(b/c)"),
        ("(x**2)**3", "(x**2)**3"),
        ("x**y**z", "x**y**z"),
        ("x**-2", "x**-2"),
        ("-x**2", "-x**2"),
        ("(-x)**2", "(-x)**2"),
        ("2**(x+1)", "2**(x + 1)"),
        ("log(x,2)", "log(x, 2)"),
        ("max(a,b,c)", "max(a, b, c)"),
        ("u*v + (u*v)**2", "u*v + (u*v)**2"),
    ],
)
def test_node_text_prints_a_tree_that_parses_back_to_itself(text: str, printed: str) -> None:
    tree = parse_expression(text).tree
    assert node_text(tree) == printed
    assert _shape(parse_expression(printed).tree) == _shape(tree)
