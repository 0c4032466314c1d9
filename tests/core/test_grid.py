"""deriv grid's report: the tutorials' grids, summary numbers, kinks and refusals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from derivcli.core.grid import GridOptions, kink_note, run_grid
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.grid import GridReport
from derivcli.model.gridplan import make_grid_plan
from derivcli.model.setup import Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_range


def grid(text: str, *ranges: str, num: int = 101, **options: Any) -> GridReport:
    plan = make_grid_plan(
        expression=parse_expression(text), ranges=[parse_range(spec) for spec in ranges], num=num
    )
    return run_grid(plan, GridOptions(setup=Setup.checked(**options)))


def test_cube_on_100_points_as_in_the_tutorial() -> None:
    report = grid("10*x**3", "x=-10:10", num=100)
    x = torch.linspace(-10, 10, 100, dtype=torch.float64, requires_grad=True)
    (10 * x**3).sum().backward()
    assert x.grad is not None
    hand_written = x.grad - 30 * x.detach() ** 2
    stats = report.stats["x"]
    assert report.points == 100
    assert report.derivatives == {"x": "30*x**2"}
    assert stats.disagree == 0
    # The same size of rounding difference as the hand-written code shows, far below tolerance.
    assert 0 < stats.max_abs_error <= 4 * float(hand_written.abs().max()) + 1e-12
    assert stats.max_rel_error < 1e-15


def test_square_on_10_points_is_exact() -> None:
    report = grid("x**2", "x=-10:10", num=10)
    stats = report.stats["x"]
    assert (stats.max_abs_error, stats.max_rel_error, stats.disagree) == (0.0, 0.0, 0)
    assert stats.max_abs_error_at is None
    assert report.all_agree


def test_relu_on_1000_points_has_its_kink_between_points() -> None:
    report = grid("relu(x)", "x=-10:10", num=1000)
    (kink,) = report.kinks
    assert (kink.function, kink.label, kink.on_grid, kink.crossings) == ("relu", "relu(x)", 0, 1)
    assert report.all_agree
    assert report.notes == (kink_note(kink),)
    assert report.notes[0] == (
        "relu(x) has a kink between two grid points: x=-0.010010010010010006 (autograd 0, symbolic 0)"
        " and x=0.010010010010010006 (autograd 1, symbolic 1)"
    )


def test_relu_with_zero_on_the_grid_disagrees_there_and_says_why() -> None:
    report = grid("relu(x)", "x=-10:10", num=1001)
    stats = report.stats["x"]
    assert (stats.disagree, stats.max_abs_error) == (1, 0.5)
    assert stats.max_abs_error_at is not None
    assert stats.max_abs_error_at.at == {"x": 0.0}
    assert report.notes == ("relu(x) has a kink on 1 grid point, e.g. at x=0: autograd 0, symbolic 0.5",)


def test_abs_kink_on_the_grid_agrees_there() -> None:
    # d/dx abs is sign(x): 0 at 0, and torch's abs backward gives 0 too.
    report = grid("abs(x)", "x=-1:1", num=3)
    (kink,) = report.kinks
    assert (kink.function, kink.on_grid) == ("abs", 1)
    assert kink.on_grid_examples[0].autograd == kink.on_grid_examples[0].symbolic == {"x": 0.0}
    assert report.all_agree


def test_max_kink_where_the_arguments_meet() -> None:
    report = grid("max(x, 1 - x)", "x=0:1", num=3)
    (kink,) = report.kinks
    assert (kink.function, kink.on_grid) == ("max", 1)
    assert kink.on_grid_examples[0].at == {"x": 0.5}


def test_two_variables_and_the_worst_point() -> None:
    report = grid("u*v + u**2", "u=-1:1", "v=-1:1", num=201)
    assert report.points == 201 * 201
    assert report.wrt == ("u", "v")
    assert report.all_agree
    name, error, at = report.worst("abs")
    assert (name, error, at) == ("u", 0.0, None)


def test_a_variable_only_a_range_names_has_derivative_zero() -> None:
    report = grid("x**2", "x=0:1", "y=0:1", num=5)
    assert report.variables == ("x", "y")
    assert report.derivatives["y"] == "0"
    assert report.stats["y"].max_abs_error == 0.0


def test_range_ends_are_exact_constants_rounded_once() -> None:
    report = grid("sin(x)", "x=-pi:pi", num=3)
    (axis,) = report.axes
    assert (axis.start, axis.stop) == (-math.pi, math.pi)
    assert (axis.start_exact, axis.stop_exact, axis.start_input) == ("-pi", "pi", "-pi")


def test_float32_tolerances_and_speed_fields() -> None:
    report = grid("sin(x)", "x=-3:3", num=1000, dtype="float32")
    assert (report.dtype, report.rtol, report.atol) == ("float32", 1e-5, 1e-6)
    assert report.elapsed_s > 0
    assert report.points_per_s == pytest.approx(1000 / report.elapsed_s)


def test_range_end_overflowing_float32_is_refused() -> None:
    with pytest.raises(DerivError) as caught:
        grid("x", "x=0:1e39", num=3, dtype="float32")
    assert caught.value.kind is ErrorKind.BAD_NUMBER
    assert caught.value.describe() == "x=1e39 overflows float32 in --range 'x=0:1e39' (column 5)"


def test_huge_range_end_is_refused_with_its_column() -> None:
    with pytest.raises(DerivError) as caught:
        grid("x", "x=0:1e400")
    assert caught.value.kind is ErrorKind.BAD_NUMBER
    assert caught.value.column == 5


def test_sin_exp_wave_agrees_everywhere_on_a_large_grid() -> None:
    report = grid("sin(x)*exp(-x**2/10) + x**3/100", "x=-10:10", num=200_001)
    stats = report.stats["x"]
    assert report.points == 200_001
    assert stats.disagree == 0
    assert 0 < stats.max_abs_error < 1e-13
    assert np.isfinite(stats.max_rel_error)
