"""Bits over a grid: every point up to a limit, then an even sample."""

from __future__ import annotations

import sympy

from derivcli.core.bits.grid import MAX_MEASURED, grid_bits, measured_indices
from derivcli.core.numeric.grid import AxisValues
from derivcli.core.numeric.sympy_translate import compile_expression
from derivcli.core.numeric.translate import compile_tree
from derivcli.parsing.grammar import parse_expression


def test_small_grids_are_measured_everywhere_large_ones_evenly() -> None:
    assert measured_indices(5) == [0, 1, 2, 3, 4]
    spread = measured_indices(10**6)
    assert len(spread) == MAX_MEASURED
    assert (spread[0], spread[-1]) == (0, 10**6 - 1)


def test_a_grid_that_overflows_at_one_end() -> None:
    x = sympy.Symbol("x", real=True)
    derivative = sympy.exp(x) / (sympy.exp(x) + 1)
    summaries, along = grid_bits(
        function=compile_tree(parse_expression("log(1+exp(x))")),
        derivatives={"x": compile_expression(derivative)},
        exact={"x": derivative},
        symbols={"x": x},
        axes=[AxisValues("x", 0.0, 100.0, 11)],
        variables=("x",),
        dtype="float32",
        device="cpu",
    )
    autograd = summaries["x"].autograd
    assert autograd is not None
    # exp(x) overflows float32 beyond 88.7: at 90 and 100 autograd gives nan.
    assert (autograd.max, dict(autograd.max_at), autograd.measured) == (32.0, {"x": 90.0}, 11)
    assert along["x"].x[:3] == (0.0, 10.0, 20.0)
    assert along["x"].autograd[-2:] == (32.0, 32.0)
