"""Batch input: lines read with a bound, each one JSON object read into a request as ``partial`` would."""

from __future__ import annotations

import io

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.batch import MAX_LINE, LongLine, bounded_lines, line_request, read_problem
from derivcli.model.setup import DType, Mode, Setup
from derivcli.parsing.tree import ParsedExpression


def test_a_line_over_the_limit_is_never_held_whole() -> None:
    stream = io.StringIO("x\n" + "y" * (3 * MAX_LINE) + "\n" + "z" * MAX_LINE + "\nlast")
    lines = list(bounded_lines(stream))
    assert lines == ["x", LongLine(3 * MAX_LINE), "z" * MAX_LINE, "last"]


def test_a_line_becomes_a_partial_request_with_its_own_setup() -> None:
    parsed: dict[str, ParsedExpression] = {}
    problem = read_problem('{"expr": "u*v", "at": {"u": 1, "v": "pi/4"}, "dtype": "float32", "wrt": "u"}')
    request = line_request(problem, timeout=3.0, parsed=parsed)
    assert request.mode is Mode.PARTIAL
    assert request.setup == Setup(device="cpu", dtype=DType.float32, timeout=3.0)
    assert request.plan.wrt == ("u",)
    assert [assignment.text for assignment in request.plan.points[0].values()] == ["1", "pi/4"]
    assert list(parsed) == ["u*v"]


@pytest.mark.parametrize(
    ("line", "kind", "message"),
    [
        (
            '{"expr": "x", "dtype": "half"}',
            ErrorKind.BAD_OPTION,
            "\"dtype\" must be one of float64, float32, got 'half'",
        ),
        ('{"expr": "x", "device": 3}', ErrorKind.BAD_LINE, "'device' must be a string, got 3"),
        ('{"expr": "x", "order": true}', ErrorKind.BAD_LINE, '"order" must be a whole number, got True'),
        (
            '{"expr": "x", "colour": 1}',
            ErrorKind.BAD_LINE,
            "unknown key 'colour'; the keys are expr, at, wrt, order, device, dtype, bits, id",
        ),
    ],
)
def test_a_bad_field_is_refused_before_any_work(line: str, kind: ErrorKind, message: str) -> None:
    with pytest.raises(DerivError) as caught:
        line_request(read_problem(line), timeout=1.0, parsed={})
    assert (caught.value.kind, caught.value.message) == (kind, message)
