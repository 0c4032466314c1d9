"""A test of every node of a SymPy tree, by a plain walk of its arguments.

``expr.has(...)`` caches each answer it gives and ``expr.atoms(...)`` builds
a set of every match first: on the new numbers of every line of a batch,
both cost several times a walk that stops at the first match.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy


def any_node(expr: sympy.Basic, matches: Callable[[sympy.Basic], bool]) -> bool:
    """True when some node of ``expr`` (``expr`` itself included) ``matches``."""
    waiting = [expr]
    while waiting:
        node = waiting.pop()
        if matches(node):
            return True
        waiting.extend(node.args)
    return False
