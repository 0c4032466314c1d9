"""The chunked grid engine: grid points, the sum trick, chunking, statistics and kinks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcli.core.numeric.grid import (
    CPU_CHUNK,
    AxisValues,
    GridStats,
    KinkProbe,
    axis_values,
    default_chunk_size,
    evaluate_grid,
)
from derivcli.core.numeric.parts import TorchFunction
from derivcli.core.numeric.sympy_translate import compile_expression
from derivcli.core.numeric.translate import compile_tree
from derivcli.core.symbolic.build import build, differentiate
from derivcli.model.gridplan import GridChunk
from derivcli.parsing.grammar import parse_expression


def compiled(
    text: str, variables: tuple[str, ...] = ("x",)
) -> tuple[TorchFunction, dict[str, TorchFunction]]:
    """The expression as written, and each symbolic derivative, translated to torch."""
    parsed = parse_expression(text)
    built = build(parsed, extra_variables=variables)
    derivatives = {
        name: compile_expression(differentiate(built.expr, built.symbols[name])) for name in variables
    }
    return compile_tree(parsed), derivatives


def run(
    text: str,
    axes: list[AxisValues],
    *,
    chunk_size: int | None = None,
    kinks: list[KinkProbe] | None = None,
    on_chunk: object = None,
    dtype: str = "float64",
) -> GridStats:
    function, derivatives = compiled(text, tuple(axis.name for axis in axes))
    return evaluate_grid(
        function=function,
        derivatives=derivatives,
        kinks=kinks or [],
        axes=axes,
        device="cpu",
        dtype=dtype,
        rtol=1e-9,
        atol=1e-12,
        chunk_size=chunk_size,
        on_chunk=on_chunk,  # type: ignore[arg-type]
    )


def relu_probe() -> KinkProbe:
    x = build(parse_expression("x")).expr
    return KinkProbe("kink", "relu", "relu(x)", compile_expression(x))


@pytest.mark.parametrize("num", [1, 2, 3, 10, 100, 101, 1000, 4097])
def test_axis_values_have_exact_ends_and_stay_within_an_ulp_of_linspace(num: int) -> None:
    axis = AxisValues("x", -10.0, 10.0, num)
    values = axis_values(axis, torch.arange(num, dtype=torch.float64))
    reference = torch.linspace(-10.0, 10.0, num, dtype=torch.float64)
    assert float(values[0]) == -10.0
    assert float(values[-1]) == (10.0 if num > 1 else -10.0)
    assert float((values - reference).abs().max()) <= 2 * math.ulp(10.0)


@given(
    num=st.integers(2, 3000),
    chunk=st.integers(1, 700),
    start=st.floats(-1e3, 1e3),
    width=st.floats(1e-3, 1e3),
)
@settings(max_examples=60, deadline=None)
def test_axis_values_do_not_depend_on_chunking(num: int, chunk: int, start: float, width: float) -> None:
    axis = AxisValues("x", start, start + width, num)
    whole = axis_values(axis, torch.arange(num, dtype=torch.float64))
    pieces = torch.cat(
        [
            axis_values(
                axis,
                torch.arange(s, min(num, s + chunk), dtype=torch.float64),
                span=(s, min(num, s + chunk) - 1),
            )
            for s in range(0, num, chunk)
        ]
    )
    assert torch.equal(whole, pieces)


def test_a_chunked_two_dimensional_grid_equals_one_chunk_and_keeps_exact_ends() -> None:
    axes = [AxisValues("u", -1.0, 3.0, 7), AxisValues("v", -10.0, 10.0, 13)]
    whole: list[GridChunk] = []
    pieces: list[GridChunk] = []
    run("u*v + u**2", axes, on_chunk=whole.append)
    run("u*v + u**2", axes, chunk_size=5, on_chunk=pieces.append)
    for name in ("u", "v"):
        joined = np.concatenate([chunk.coordinates[name] for chunk in pieces])
        np.testing.assert_array_equal(whole[0].coordinates[name], joined)
    v = whole[0].coordinates["v"].reshape(7, 13)
    assert (v[:, 0] == -10.0).all()
    assert (v[:, -1] == 10.0).all()
    assert (v[:, 6] == 0.0).all()


def test_symmetric_odd_grid_has_zero_on_it() -> None:
    values = axis_values(AxisValues("x", -10.0, 10.0, 101), torch.arange(101, dtype=torch.float64))
    assert float(values[50]) == 0.0


def test_sum_trick_gives_every_points_derivative() -> None:
    chunks: list[GridChunk] = []
    run("10*x**3", [AxisValues("x", -10.0, 10.0, 100)], on_chunk=chunks.append)
    (chunk,) = chunks
    x = chunk.coordinates["x"]
    # torch.pow and numpy's power may differ in the last bit.
    np.testing.assert_allclose(chunk.value, 10 * x**3, rtol=1e-15)
    np.testing.assert_allclose(chunk.autograd["x"], 30 * x**2, rtol=1e-15)
    np.testing.assert_allclose(chunk.symbolic["x"], 30 * x**2, rtol=1e-15)
    assert x[0] == -10.0
    assert x[-1] == 10.0
    assert len(x) == 100


def test_a_grid_larger_than_one_chunk_gives_the_same_answer_as_one_chunk() -> None:
    axes = [AxisValues("x", -10.0, 10.0, 10_007)]
    text = "sin(x)*exp(-x**2/10) + x**3/100"
    whole: list[GridChunk] = []
    pieces: list[GridChunk] = []
    one = run(text, axes, chunk_size=20_000, on_chunk=whole.append)
    many = run(text, axes, chunk_size=1_000, on_chunk=pieces.append)
    assert (len(whole), len(pieces)) == (1, 11)
    assert [chunk.start for chunk in pieces] == list(range(0, 10_007, 1_000))
    for field in ("value",):
        np.testing.assert_array_equal(
            getattr(whole[0], field), np.concatenate([getattr(c, field) for c in pieces])
        )
    np.testing.assert_array_equal(whole[0].autograd["x"], np.concatenate([c.autograd["x"] for c in pieces]))
    np.testing.assert_array_equal(whole[0].symbolic["x"], np.concatenate([c.symbolic["x"] for c in pieces]))
    assert one.derivatives == many.derivatives
    assert one.derivatives["x"].max_abs_error > 0


def test_worst_error_is_located_and_recomputed() -> None:
    stats = run("10*x**3", [AxisValues("x", -10.0, 10.0, 100)], chunk_size=7)
    worst = stats.derivatives["x"]
    assert worst.max_abs_error_at is not None
    at = worst.max_abs_error_at
    assert abs(at.autograd["x"] - at.symbolic["x"]) == worst.max_abs_error
    assert worst.disagree == 0
    assert stats.points == 100


def test_two_variables_make_a_row_major_product() -> None:
    chunks: list[GridChunk] = []
    stats = run(
        "u*v + u**2", [AxisValues("u", -1.0, 1.0, 3), AxisValues("v", 0.0, 1.0, 2)], on_chunk=chunks.append
    )
    (chunk,) = chunks
    assert chunk.coordinates["u"].tolist() == [-1.0, -1.0, 0.0, 0.0, 1.0, 1.0]
    assert chunk.coordinates["v"].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    u, v = chunk.coordinates["u"], chunk.coordinates["v"]
    np.testing.assert_array_equal(chunk.autograd["u"], 2 * u + v)
    np.testing.assert_array_equal(chunk.autograd["v"], u)
    assert stats.points == 6
    assert stats.derivatives["u"].max_abs_error == 0.0


def test_non_finite_values_are_counted_and_both_nan_is_not_a_disagreement() -> None:
    stats = run("sqrt(x)", [AxisValues("x", -1.0, 1.0, 5)])
    entry = stats.derivatives["x"]
    # x = -1, -0.5: both nan; x = 0: both inf (they agree); x = 0.5, 1: finite and equal.
    assert stats.value_non_finite == 2
    assert (entry.both_nan, entry.disagree) == (2, 0)
    assert (entry.autograd_non_finite, entry.symbolic_non_finite) == (3, 3)
    assert entry.max_abs_error < 1e-15


def test_an_infinite_symbolic_value_against_a_finite_autograd_disagrees() -> None:
    # heaviside's symbolic derivative is a Dirac delta: infinite at 0; autograd says 0.
    stats = run("heaviside(x)", [AxisValues("x", -1.0, 1.0, 3)])
    entry = stats.derivatives["x"]
    assert (entry.disagree, entry.symbolic_non_finite, entry.autograd_non_finite) == (1, 1, 0)


def test_relu_kink_on_the_grid_reports_both_sides() -> None:
    stats = run("relu(x)", [AxisValues("x", -10.0, 10.0, 1001)], kinks=[relu_probe()], chunk_size=300)
    (kink,) = stats.kinks
    assert (kink.on_grid, kink.crossings) == (1, 0)
    (point,) = kink.on_grid_examples
    assert (point.at, point.autograd, point.symbolic) == ({"x": 0.0}, {"x": 0.0}, {"x": 0.5})
    assert stats.derivatives["x"].disagree == 1
    assert stats.derivatives["x"].max_abs_error == 0.5


@pytest.mark.parametrize("chunk_size", [None, 500, 499, 7])
def test_relu_kink_between_grid_points_is_found_across_chunk_boundaries(chunk_size: int | None) -> None:
    stats = run("relu(x)", [AxisValues("x", -10.0, 10.0, 1000)], kinks=[relu_probe()], chunk_size=chunk_size)
    (kink,) = stats.kinks
    assert (kink.on_grid, kink.crossings) == (0, 1)
    ((left, right),) = kink.crossing_examples
    assert left.at["x"] < 0 < right.at["x"]
    assert (left.autograd["x"], right.autograd["x"]) == (0.0, 1.0)
    assert stats.derivatives["x"].disagree == 0


def test_float32_runs_in_float32() -> None:
    chunks: list[GridChunk] = []
    stats = run("x**2", [AxisValues("x", -10.0, 10.0, 10)], dtype="float32", on_chunk=chunks.append)
    assert chunks[0].value.dtype == np.float32
    assert stats.dtype == "float32"


def test_default_chunk_sizes() -> None:
    assert default_chunk_size(torch.device("cpu")) == CPU_CHUNK == 2**17


def test_progress_is_reported_per_chunk() -> None:
    seen: list[tuple[int, int]] = []
    function, derivatives = compiled("x")
    evaluate_grid(
        function=function,
        derivatives=derivatives,
        axes=[AxisValues("x", 0.0, 1.0, 25)],
        device="cpu",
        dtype="float64",
        rtol=1e-9,
        atol=1e-12,
        chunk_size=10,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(10, 25), (20, 25), (25, 25)]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_grid_matches_cpu() -> None:  # pragma: no cover - runs only with a GPU
    axes = [AxisValues("x", -10.0, 10.0, 100_003)]
    function, derivatives = compiled("sin(x)*exp(-x**2/10) + x**3/100")
    results = [
        evaluate_grid(
            function=function,
            derivatives=derivatives,
            axes=axes,
            device=device,
            dtype="float64",
            rtol=1e-9,
            atol=1e-12,
        )
        for device in ("cpu", "cuda")
    ]
    assert results[1].device.startswith("cuda")
    assert results[0].derivatives["x"].disagree == results[1].derivatives["x"].disagree == 0
    assert results[1].derivatives["x"].max_abs_error < 1e-13


def test_compiled_chunks_give_the_same_statistics_as_eager_ones() -> None:
    axes = [AxisValues("x", -10.0, 10.0, 2_500)]
    function, derivatives = compiled("sin(x)*exp(-x**2/10) + x**3/100")
    eager, fast = (
        evaluate_grid(
            function=function,
            derivatives=derivatives,
            axes=axes,
            device="cpu",
            dtype="float64",
            rtol=1e-9,
            atol=1e-12,
            chunk_size=1_000,
            compile_chunks=flag,
        )
        for flag in (False, True)
    )
    # Compiled kernels may fuse and reorder operations: the same errors up to rounding.
    assert fast.derivatives["x"].disagree == eager.derivatives["x"].disagree == 0
    assert fast.derivatives["x"].max_abs_error < 1e-13
    assert fast.points == eager.points == 2_500
