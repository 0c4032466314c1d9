"""The terminal plot: f and the derivative as lines, autograd only where it differs, colour on a TTY only."""

from __future__ import annotations

from derivcli.model.gridplan import GridChunk
from derivcli.model.setup import DType
from derivcli.render.terminal_plot import PLOT_HEIGHT, terminal_plot
from tests.render.test_plot import collect, cube_chunks


def draw(chunks: list[GridChunk], n: int, **options: object) -> list[str]:
    settings: dict[str, object] = {"width": 80, "color": False, "unicode": True, "kinks": [], **options}
    return terminal_plot(
        collect(chunks, n),
        expression="10*x**3",
        derivatives={"x": "30*x**2"},
        tolerance=DType.float64.tolerance,
        **settings,  # type: ignore[arg-type]
    ).splitlines()


def test_lines_legend_and_size() -> None:
    lines = draw(cube_chunks(101), 101)
    assert len(lines) >= PLOT_HEIGHT - 2
    assert "10*x**3 on [-10, 10]" in lines[0]
    text = "\n".join(lines)
    assert "f = 10*x**3" in text
    assert "d/dx = 30*x**2 (symbolic)" in text
    # Both witnesses agree everywhere: no autograd marks.
    assert "autograd, where it differs" not in text
    assert "\x1b[" not in text
    assert max(len(line) for line in lines) <= 80


def test_autograd_where_it_differs_and_colour_on_a_terminal() -> None:
    chunks = cube_chunks(101)
    chunks[0].autograd["x"][50] = 1.0e3
    text = "\n".join(draw(chunks, 101, color=True))
    assert "d/dx: autograd, where it differs" in text
    assert "\x1b[" in text


def test_ascii_frame_and_markers() -> None:
    lines = draw(cube_chunks(101), 101, unicode=False)
    assert all(char.isascii() for line in lines for char in line)
    assert lines[1].strip().startswith("+---")
    assert any("*" in line for line in lines[2:-3])


def test_autograd_without_a_number_is_marked_on_the_symbolic_line() -> None:
    chunks = cube_chunks(101)
    chunks[0].autograd["x"][10] = float("nan")
    text = "\n".join(draw(chunks, 101))
    assert "d/dx: autograd nan or inf here" in text
