"""Plots: decimation keeping bin maxima, chunk independence, PNG and SVG files, matplotlib imported lazily."""

from __future__ import annotations

import itertools
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from derivcli.model.gridplan import GridChunk
from derivcli.render.plot import (
    PlotCollector,
    PlotUnavailableError,
    _error_ticks,
    _linthresh,
    write_plot,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UNAVAILABLE = "plots need matplotlib: pip install 'deriv[plot]' (or pip install matplotlib)"


def split(n: int, sizes: Sequence[int]) -> list[tuple[int, int]]:
    """[lo, hi) bounds of chunks of the given sizes, the last taking the rest (empty ones dropped)."""
    bounds = np.cumsum([0, *sizes, n - sum(sizes)])
    return [(int(lo), int(hi)) for lo, hi in itertools.pairwise(bounds) if hi > lo]


def cube_chunks(n: int, sizes: Sequence[int] = ()) -> list[GridChunk]:
    """10x^3 on [-10, 10], derivative 30x^2 on both sides, in chunks of the given sizes."""
    x = np.linspace(-10, 10, n)
    return [
        GridChunk(
            start=lo,
            coordinates={"x": x[lo:hi]},
            value=10 * x[lo:hi] ** 3,
            autograd={"x": 30 * x[lo:hi] ** 2},
            symbolic={"x": 30 * x[lo:hi] ** 2},
        )
        for lo, hi in split(n, sizes)
    ]


def collect(chunks: Sequence[GridChunk], n: int, limit: int = 20_000) -> PlotCollector:
    collector = PlotCollector(variables=["x"], wrt=["x"], shape=[n], limit=limit)
    for chunk in chunks:
        collector(chunk)
    return collector


def plane_chunks(
    shape: tuple[int, int], sizes: Sequence[int], wrt: Sequence[str] = ("u", "v"), noise: float = 0.0
) -> tuple[list[GridChunk], dict[str, np.ndarray]]:
    """u*v + u**2 on [-1, 1]^2 (gradient (2u + v, u)) in row-major chunks, and the full flat arrays."""
    u, v = np.meshgrid(np.linspace(-1, 1, shape[0]), np.linspace(-1, 1, shape[1]), indexing="ij")
    rng = np.random.default_rng(7)
    full = {
        "u": u.ravel(),
        "v": v.ravel(),
        "f": (u * v + u**2).ravel(),
        "du": (2 * u + v).ravel(),
        "dv": u.ravel(),
    }
    full["du_auto"] = full["du"] + noise * rng.random(full["u"].size)
    full["dv_auto"] = full["dv"] + noise * rng.random(full["u"].size)
    chunks = [
        GridChunk(
            start=lo,
            coordinates={"u": full["u"][lo:hi], "v": full["v"][lo:hi]},
            value=full["f"][lo:hi],
            autograd={name: full[f"d{name}_auto"][lo:hi] for name in wrt},
            symbolic={name: full[f"d{name}"][lo:hi] for name in wrt},
        )
        for lo, hi in split(full["u"].size, sizes)
    ]
    return chunks, full


def block_maxima(errors: np.ndarray, strides: Sequence[int]) -> np.ndarray:
    """Reference: the nan-ignoring maximum over each block of strides from a kept point on, by padding."""
    padded_shape = [-(-size // stride) * stride for size, stride in zip(errors.shape, strides, strict=True)]
    padded = np.full(padded_shape, np.nan)
    padded[tuple(slice(0, size) for size in errors.shape)] = errors
    if errors.ndim == 1:
        return np.asarray(np.fmax.reduce(padded.reshape(-1, strides[0]), axis=1))
    blocks = padded.reshape(
        padded_shape[0] // strides[0], strides[0], padded_shape[1] // strides[1], strides[1]
    )
    return np.asarray(np.fmax.reduce(np.fmax.reduce(blocks, axis=3), axis=1))


def test_decimation_keeps_the_first_point_every_kth_and_each_bins_largest_error() -> None:
    chunks = cube_chunks(1000, [333, 333])
    # Index 501 is not a kept point (every 4th is) and sits inside the bin of 500..503: it must show.
    chunks[1].autograd["x"][501 - 333] += 0.25
    collector = collect(chunks, 1000, limit=250)
    assert collector.strides == (4,)
    assert collector.kept_shape == (250,)
    x = np.linspace(-10, 10, 1000)
    np.testing.assert_array_equal(collector.coordinates["x"], x[::4])
    assert collector.coordinates["x"][0] == -10.0
    np.testing.assert_array_equal(collector.value, 10 * x[::4] ** 3)
    np.testing.assert_array_equal(collector.autograd["x"][:125], 30 * x[:500:4] ** 2)
    assert collector.error[125] == pytest.approx(0.25)
    assert collector.errors["x"][125] == pytest.approx(0.25)
    assert np.count_nonzero(collector.error) == 1
    # The autograd value drawn at the kept point 500 is not the one shifted at 501.
    assert collector.autograd["x"][125] == collector.symbolic["x"][125]


@pytest.mark.parametrize(
    ("n", "limit", "stride", "kept"),
    [(1, 20_000, 1, 1), (10, 20_000, 1, 10), (20_000, 20_000, 1, 20_000), (20_001, 20_000, 2, 10_001),
     (1001, 250, 5, 201), (10**8, 20_000, 5000, 20_000)],
)  # fmt: skip
def test_at_most_limit_points_are_kept(n: int, limit: int, stride: int, kept: int) -> None:
    collector = PlotCollector(variables=["x"], wrt=["x"], shape=[n], limit=limit)
    assert collector.strides == (stride,)
    assert collector.kept_shape == (kept,)
    assert collector.value.nbytes == 8 * kept


def test_uneven_chunks_give_the_same_plot_data_as_one_chunk() -> None:
    def noisy(chunks: list[GridChunk]) -> list[GridChunk]:
        # The same errors whatever the chunking: a function of the flat index.
        for chunk in chunks:
            index = np.arange(chunk.start, chunk.start + len(chunk))
            chunk.autograd["x"][:] += np.where(index % 37 == 0, index * 1e-6, 0.0)
        return chunks

    one = collect(noisy(cube_chunks(997)), 997, limit=100)
    many = collect(noisy(cube_chunks(997, [1, 9, 1, 99, 300, 7])), 997, limit=100)
    assert one.strides == (10,)
    for name in ("coordinates", "autograd", "symbolic", "errors"):
        np.testing.assert_array_equal(getattr(one, name)["x"], getattr(many, name)["x"])
    np.testing.assert_array_equal(one.value, many.value)
    # 37, 74, ..., 962 (index 0 adds 0): 26 bins hold one each.
    assert np.count_nonzero(many.error) == 26
    assert many.error[96] == pytest.approx(962e-6)
    assert many.error[99] == 0.0


def test_non_finite_pairs_are_ignored_and_a_bin_of_only_those_is_nan() -> None:
    x = np.arange(8, dtype=np.float32)
    autograd = np.array([1, np.inf, 2, 3, np.nan, np.inf, 5, 5.5], dtype=np.float32)
    symbolic = np.array([1, np.inf, 2.5, 3, 1.0, np.inf, 5, 5], dtype=np.float64)
    collector = PlotCollector(variables=["x"], wrt=["x"], shape=[8], limit=4)
    collector(GridChunk(0, {"x": x[:3]}, x[:3], {"x": autograd[:3]}, {"x": symbolic[:3]}))
    collector(GridChunk(3, {"x": x[3:]}, x[3:], {"x": autograd[3:]}, {"x": symbolic[3:]}))
    assert collector.strides == (2,)
    # Bins: {1, inf-inf} -> 0; {2 vs 2.5, 3} -> 0.5; {nan, inf-inf} -> nan; {5, 5.5 vs 5} -> 0.5.
    np.testing.assert_array_equal(collector.error, [0.0, 0.5, np.nan, 0.5])
    np.testing.assert_array_equal(collector.autograd["x"], [1, 2, np.nan, 5])
    assert collector.value.dtype == np.float64


def test_two_variables_keep_a_regular_sub_grid() -> None:
    chunks, full = plane_chunks((201, 201), [5000] * 8)
    collector = PlotCollector(variables=["u", "v"], wrt=["u", "v"], shape=[201, 201], limit=2500)
    for chunk in chunks:
        collector(chunk)
    assert collector.strides == (5, 5)
    assert collector.kept_shape == (41, 41)
    axis = np.linspace(-1, 1, 201)[::5]
    u, v = collector.coordinates["u"], collector.coordinates["v"]
    assert u.shape == v.shape == collector.value.shape == (41, 41)
    np.testing.assert_array_equal(u, np.repeat(axis[:, None], 41, axis=1))
    np.testing.assert_array_equal(v, np.repeat(axis[None, :], 41, axis=0))
    np.testing.assert_array_equal(collector.value, u * v + u**2)
    np.testing.assert_array_equal(collector.autograd["u"], 2 * u + v)
    np.testing.assert_array_equal(collector.autograd["v"], u)
    np.testing.assert_array_equal(collector.error, np.zeros((41, 41)))
    assert collector.value[0, 0] == full["f"][0]


@pytest.mark.parametrize("sizes", [[], [1, 22, 24, 100, 3, 400], [23] * 40, [7] * 130, [500, 1, 1, 1]])
def test_two_variables_match_a_whole_grid_reference_however_chunked(sizes: list[int]) -> None:
    shape = (37, 23)
    chunks, full = plane_chunks(shape, sizes, noise=1e-3)
    collector = PlotCollector(variables=["u", "v"], wrt=["u", "v"], shape=shape, limit=30)
    collector(GridChunk(0, {"u": full["u"][:0], "v": full["v"][:0]}, full["f"][:0], {}, {}))
    for chunk in chunks:
        collector(chunk)
    strides = collector.strides
    assert strides == (7, 5)
    assert collector.kept_shape == (6, 5)
    pick = (slice(None, None, strides[0]), slice(None, None, strides[1]))
    np.testing.assert_array_equal(collector.value, full["f"].reshape(shape)[pick])
    np.testing.assert_array_equal(collector.symbolic["u"], full["du"].reshape(shape)[pick])
    for name in ("u", "v"):
        expected = block_maxima(np.abs(full[f"d{name}_auto"] - full[f"d{name}"]).reshape(shape), strides)
        np.testing.assert_array_equal(collector.errors[name], expected)
    np.testing.assert_array_equal(collector.error, np.fmax(collector.errors["u"], collector.errors["v"]))


def test_more_than_two_variables_cannot_be_plotted() -> None:
    with pytest.raises(ValueError, match=r"^plots show one or two variables; this grid has 3$"):
        PlotCollector(variables=["a", "b", "c"], wrt=["a"], shape=[2, 2, 2])


def test_error_axis_is_linear_for_a_narrow_range_and_labels_a_few_decades_otherwise() -> None:
    assert _linthresh(np.array([0.25, 0.5])) is None
    assert _linthresh(np.array([1e-19, 1e-3])) == 1e-19
    # No more than 16 decades below the largest: 1e-300 is rounding noise next to 1.
    assert _linthresh(np.array([1e-300, 1.0])) == pytest.approx(1e-16)
    assert _error_ticks(1e-19, 5e-4) == pytest.approx([0.0, 1e-15, 1e-11, 1e-7, 1e-3], rel=1e-12)
    assert _error_ticks(1e-6, 0.5) == pytest.approx([0.0, 1e-4, 1e-2, 1.0], rel=1e-12)


def test_png_file(tmp_path: Path) -> None:
    target = tmp_path / "cube.png"
    write_plot(
        target, collect(cube_chunks(100, [40]), 100), expression="10*x**3", derivatives={"x": "30*x**2"}
    )
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 20_000


def test_svg_file_says_when_both_sides_agree_exactly(tmp_path: Path) -> None:
    target = tmp_path / "square.SVG"
    x = np.linspace(-10, 10, 10)
    collector = collect([GridChunk(0, {"x": x}, x**2, {"x": 2 * x}, {"x": 2 * x})], 10)
    write_plot(target, collector, expression="x**2", derivatives={"x": "2*x"})
    root = ElementTree.parse(target).getroot()
    assert root.tag.endswith("svg")
    text = target.read_text()
    assert "autograd and symbolic agree exactly" in text
    assert "symbolic d/dx = 2*x" in text
    assert "deriv grid: x**2" in text
    # A fixed hash salt and no date: the same plot gives the same file.
    again = tmp_path / "again.svg"
    write_plot(again, collector, expression="x**2", derivatives={"x": "2*x"})
    assert again.read_bytes() == target.read_bytes()


def test_relu_with_a_kink_and_a_real_error_writes_fine(tmp_path: Path) -> None:
    x = np.linspace(-10, 10, 1000)
    autograd = (x > 0) * 1.0
    autograd[500] += 1e-9  # a disagreement, so the error panel has a (symlog) scale and no remark
    chunks = [
        GridChunk(
            lo, {"x": x[lo:hi]}, np.maximum(x[lo:hi], 0), {"x": autograd[lo:hi]}, {"x": (x[lo:hi] > 0) * 1.0}
        )
        for lo, hi in split(1000, [300, 300])
    ]
    target = tmp_path / "relu.svg"
    write_plot(
        target,
        collect(chunks, 1000),
        expression="relu(x)",
        derivatives={"x": "Heaviside(x)"},
        kinks=[{"y": 3.0}, {"x": 0.0}, {"x": 5.0}],
    )
    text = target.read_text()
    assert ElementTree.fromstring(text).tag.endswith("svg")
    assert text.count("<!-- kink -->") == 1  # labelled once, though the first kink names no x
    assert "agree exactly" not in text


def test_two_variable_png_and_svg(tmp_path: Path) -> None:
    chunks, _ = plane_chunks((201, 201), [4096] * 9, wrt=["u"])
    collector = PlotCollector(variables=["u", "v"], wrt=["u"], shape=[201, 201])
    for chunk in chunks:
        collector(chunk)
    assert collector.kept_shape == (101, 101)
    png, svg = tmp_path / "plane.png", tmp_path / "plane.svg"
    for target in (png, svg):
        write_plot(target, collector, expression="u*v + u**2", derivatives={"u": "2*u + v"})
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert png.stat().st_size > 50_000
    text = svg.read_text()
    assert ElementTree.fromstring(text).tag.endswith("svg")
    assert "d/dv drawn as 0" in text
    assert "40,401 points, 10,201 shown, float64" in text


def test_unknown_format_is_refused_before_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With matplotlib unimportable, the file name is still what is refused: it is checked first.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(
        ValueError, match=r"^cannot tell the plot format from 'x\.pdf': use a \.png or \.svg file name$"
    ):
        write_plot(tmp_path / "x.pdf", collect(cube_chunks(10), 10), expression="x", derivatives={})
    assert not (tmp_path / "x.pdf").exists()


def test_missing_matplotlib_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotUnavailableError) as caught:
        write_plot(tmp_path / "x.png", collect(cube_chunks(10), 10), expression="x", derivatives={})
    assert str(caught.value) == UNAVAILABLE
    assert not (tmp_path / "x.png").exists()


def test_importing_the_module_does_not_import_matplotlib() -> None:
    code = "import sys, derivcli.render.plot; print('matplotlib' in sys.modules)"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert completed.stdout.strip() == "False"


def test_a_curve_is_broken_at_each_jump() -> None:
    from derivcli.render.plot_layers import broken_at

    x = np.array([-1.0, -0.5, 0.5, 1.0])
    values = np.array([0.0, 0.0, 1.0, 1.0])
    broken_x, broken_values = broken_at(x, values, [0.0])
    assert np.isnan(broken_x[2])
    assert np.isnan(broken_values[2])
    assert broken_x[[0, 1, 3, 4]].tolist() == x.tolist()
    assert broken_at(x, values, [])[0] is x
