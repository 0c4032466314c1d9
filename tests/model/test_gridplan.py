"""Grid plans: axes, counts and variables decided before any heavy import."""

from __future__ import annotations

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.gridplan import GridPlan, flat_to_coordinates, make_grid_plan
from derivcli.model.setup import DEFAULT_NUM
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_range


def plan(text: str, *ranges: str, num: int = DEFAULT_NUM, wrt: tuple[str, ...] = ()) -> GridPlan:
    return make_grid_plan(
        expression=parse_expression(text), ranges=[parse_range(spec) for spec in ranges], num=num, wrt=wrt
    )


def refusal(text: str, *ranges: str, wrt: tuple[str, ...] = ()) -> DerivError:
    with pytest.raises(DerivError) as caught:
        plan(text, *ranges, wrt=wrt)
    return caught.value


def test_axes_follow_the_expression_order_not_the_option_order() -> None:
    grid = plan("u*v + u**2", "v=0:1", "u=-1:1", num=11)
    assert grid.variables == ("u", "v")
    assert [axis.name for axis in grid.axes] == ["u", "v"]
    assert (grid.shape, grid.points) == ((11, 11), 121)
    assert grid.wrt == ("u", "v")


def test_a_range_may_carry_its_own_count() -> None:
    grid = plan("u*v", "u=0:1:3", "v=0:1", num=5)
    assert grid.shape == (3, 5)


def test_default_count_is_odd_so_symmetric_ranges_hold_zero() -> None:
    assert plan("x", "x=-1:1").shape == (DEFAULT_NUM,)
    assert DEFAULT_NUM % 2 == 1


def test_wrt_chooses_and_orders() -> None:
    assert plan("u*v", "u=0:1", "v=0:1", wrt=("v",)).wrt == ("v",)


def test_missing_range_is_named() -> None:
    error = refusal("x*y", "x=0:1")
    assert error.kind is ErrorKind.MISSING_VALUE
    assert error.describe() == "no range for variable y: add --range y=-1:1"


def test_wrt_of_a_variable_without_range() -> None:
    error = refusal("x", "x=0:1", wrt=("z",))
    assert error.describe() == "no range for variable z: add --range z=-1:1"


def test_no_variables() -> None:
    error = refusal("2+3")
    assert error.kind is ErrorKind.MISSING_VALUE
    assert error.describe() == "'2+3' has no variables: give one a range, e.g. --range x=-10:10"


def test_two_ranges_for_one_variable() -> None:
    error = refusal("x", "x=0:1", "x=2:3")
    assert (error.kind, error.describe()) == (ErrorKind.BAD_RANGE, "x has two ranges: 'x=0:1' and 'x=2:3'")


def test_wrt_twice() -> None:
    assert refusal("x", "x=0:1", wrt=("x", "x")).describe() == "--wrt names x twice"


def test_too_many_points_in_total() -> None:
    error = refusal("a*b*c", "a=0:1:1e5", "b=0:1:1e5", "c=0:1:1e5")
    assert error.kind is ErrorKind.TOO_LARGE
    assert error.describe().startswith(
        "the grid has 1,000,000,000,000,000 points (100,000 x 100,000 x 100,000)"
    )


@pytest.mark.parametrize(
    ("index", "shape", "expected"),
    [
        (0, (3, 4), (0, 0)),
        (5, (3, 4), (1, 1)),
        (11, (3, 4), (2, 3)),
        (7, (8,), (7,)),
        (13, (2, 3, 4), (1, 0, 1)),
    ],
)
def test_flat_to_coordinates_is_row_major(
    index: int, shape: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    assert flat_to_coordinates(index, shape) == expected
