"""A test of every node of a SymPy tree: the same answers as SymPy's own searches."""

from __future__ import annotations

import pytest
import sympy

from derivcli.core.symbolic.walk import any_node

x = sympy.Symbol("x")


@pytest.mark.parametrize(
    "expr",
    [
        6 * sympy.sin(sympy.Rational(453, 250)) + sympy.Rational(2052, 625),
        sympy.exp(x**2 + 3) / (9 * x**2 + 1),
        sympy.Rational(10**40, 3),
        sympy.cos(sympy.sec(x) + sympy.Rational(1, 101)),
        x,
    ],
)
def test_the_walk_finds_what_sympy_finds(expr: sympy.Expr) -> None:
    big = [atom for atom in expr.atoms(sympy.Rational) if abs(atom.p) > 100]
    assert any_node(expr, lambda node: bool(node.is_Rational) and abs(node.p) > 100) == bool(big)
    assert any_node(expr, lambda node: isinstance(node, sympy.sec)) == expr.has(sympy.sec)
    assert any_node(expr, lambda node: node == x) == expr.has(x)


def test_the_walk_stops_at_the_first_match() -> None:
    seen: list[sympy.Basic] = []

    def matches(node: sympy.Basic) -> bool:
        seen.append(node)
        return node is sympy.S.Pi

    assert any_node(sympy.pi, matches)
    assert seen == [sympy.pi]
