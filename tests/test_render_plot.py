"""Plots: thinning with bounded memory, chunk independence, real PNG and SVG files, lazy matplotlib."""

from __future__ import annotations

import itertools
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest

from derivcli.gridplan import GridChunk
from derivcli.render.plot import PlotCollector, PlotUnavailableError, write_plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def cube_chunks(n: int, sizes: list[int]) -> list[GridChunk]:
    """10x^3 on [-10, 10] split into chunks of the given sizes (the last takes the rest)."""
    x = np.linspace(-10, 10, n)
    bounds = np.cumsum([0, *sizes, n - sum(sizes)])
    return [
        GridChunk(
            start=int(lo),
            coordinates={"x": x[lo:hi]},
            value=10 * x[lo:hi] ** 3,
            autograd={"x": 30 * x[lo:hi] ** 2},
            symbolic={"x": 30 * x[lo:hi] ** 2},
        )
        for lo, hi in itertools.pairwise(bounds)
        if hi > lo
    ]


def collect(chunks: list[GridChunk], n: int, limit: int) -> PlotCollector:
    collector = PlotCollector(variables=["x"], wrt=["x"], shape=[n], limit=limit)
    for chunk in chunks:
        collector(chunk)
    return collector


def test_thinning_keeps_every_kth_point_and_each_stretchs_largest_error() -> None:
    chunks = cube_chunks(1000, [333, 333])
    # An error at index 501, which is not a kept point (every 4th is), must still show.
    chunks[1].autograd["x"][501 - 333] += 0.25
    collector = collect(chunks, 1000, limit=250)
    assert collector.strides == (4,)
    assert len(collector.value) == 250
    x = np.linspace(-10, 10, 1000)
    np.testing.assert_array_equal(collector.coordinates["x"], x[::4])
    assert collector.error[501 // 4] == pytest.approx(0.25)
    assert np.count_nonzero(collector.error) == 1


def test_uneven_chunks_give_the_same_plot_data_as_one_chunk() -> None:
    one = collect(cube_chunks(997, []), 997, limit=100)
    many = collect(cube_chunks(997, [1, 10, 99, 300, 7]), 997, limit=100)
    for attribute in ("value", "error"):
        np.testing.assert_array_equal(getattr(one, attribute), getattr(many, attribute))
    np.testing.assert_array_equal(one.coordinates["x"], many.coordinates["x"])


def test_two_variables_keep_a_regular_sub_grid() -> None:
    u, v = np.meshgrid(np.linspace(-1, 1, 201), np.linspace(-1, 1, 201), indexing="ij")
    flat_u, flat_v = u.ravel(), v.ravel()
    collector = PlotCollector(variables=["u", "v"], wrt=["u", "v"], shape=[201, 201], limit=2500)
    for start in range(0, flat_u.size, 5000):
        part = slice(start, start + 5000)
        collector(
            GridChunk(
                start=start,
                coordinates={"u": flat_u[part], "v": flat_v[part]},
                value=flat_u[part] * flat_v[part] + flat_u[part] ** 2,
                autograd={"u": 2 * flat_u[part] + flat_v[part], "v": flat_u[part]},
                symbolic={"u": 2 * flat_u[part] + flat_v[part], "v": flat_u[part]},
            )
        )
    assert collector.strides == (5, 5)
    assert collector.kept_shape == (41, 41)
    kept_u = collector.coordinates["u"].reshape(41, 41)
    np.testing.assert_array_equal(kept_u[:, 0], np.linspace(-1, 1, 201)[::5])
    np.testing.assert_array_equal(collector.autograd["v"], collector.coordinates["u"])
    assert not np.isnan(collector.value).any()


def test_more_than_two_variables_cannot_be_plotted() -> None:
    with pytest.raises(ValueError, match=r"^plots show one or two variables; this grid has 3$"):
        PlotCollector(variables=["a", "b", "c"], wrt=["a"], shape=[2, 2, 2])


def test_png_file(tmp_path: Path) -> None:
    target = tmp_path / "cube.png"
    write_plot(
        target,
        collect(cube_chunks(100, []), 100, limit=20_000),
        expression="10*x**3",
        derivatives={"x": "30*x**2"},
    )
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 20_000


def test_svg_file_with_a_kink(tmp_path: Path) -> None:
    x = np.linspace(-10, 10, 1000)
    chunk = GridChunk(0, {"x": x}, np.maximum(x, 0), {"x": (x > 0) * 1.0}, {"x": (x > 0) * 1.0})
    collector = PlotCollector(variables=["x"], wrt=["x"], shape=[1000])
    collector(chunk)
    target = tmp_path / "relu.SVG"
    write_plot(target, collector, expression="relu(x)", derivatives={"x": "Heaviside(x)"}, kinks=[{"x": 0.0}])
    root = ElementTree.parse(target).getroot()
    assert root.tag.endswith("svg")
    assert "kink" in target.read_text()


def test_unknown_format_is_refused_before_matplotlib(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"^cannot tell the plot format from 'x.pdf': use a .png or .svg file name$"
    ):
        write_plot(
            tmp_path / "x.pdf", collect(cube_chunks(10, []), 10, limit=10), expression="x", derivatives={}
        )


def test_missing_matplotlib_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotUnavailableError, match="pip install 'deriv\\[plot\\]'"):
        write_plot(
            tmp_path / "x.png", collect(cube_chunks(10, []), 10, limit=10), expression="x", derivatives={}
        )


def test_importing_the_module_does_not_import_matplotlib() -> None:
    code = "import sys, derivcli.render.plot; print('matplotlib' in sys.modules)"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert completed.stdout.strip() == "False"
