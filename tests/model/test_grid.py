"""The request of ``deriv grid``: ranges, counts and outputs checked before any work."""

from __future__ import annotations

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.grid import grid_request
from derivcli.model.setup import Setup


def test_a_request_knows_which_outputs_want_every_point() -> None:
    plain = grid_request(expression="x**2", ranges=["x=0:1"], num="5", wrt=[], setup=Setup())
    assert (plain.plan.points, plain.chunk_size, plain.wants_chunks, plain.points_to_stdout) == (
        5,
        None,
        False,
        False,
    )
    streamed = grid_request(
        expression="x**2", ranges=["x=0:1"], num="1e3", wrt=[], setup=Setup(), csv="-", chunk_size="1_000"
    )
    assert (streamed.plan.points, streamed.chunk_size, streamed.wants_chunks, streamed.points_to_stdout) == (
        1000,
        1000,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        (
            {"csv": "-", "jsonl": "-"},
            "--csv - and --jsonl - both write to stdout: send all but one to a file",
        ),
        (
            {"csv": "-", "json_output": True},
            "--csv - and --json both write to stdout: send all but one to a file",
        ),
        ({"csv": "a.txt", "jsonl": "a.txt"}, "--csv and --jsonl name the same file 'a.txt'"),
        ({"plot": "a.pdf"}, "--plot 'a.pdf': cannot tell the format; use a .png or .svg file name"),
    ],
)
def test_outputs_that_cannot_all_be_written_are_refused(outputs: dict[str, object], message: str) -> None:
    with pytest.raises(DerivError) as caught:
        grid_request(expression="x", ranges=["x=0:1"], num="3", wrt=[], setup=Setup(), **outputs)  # type: ignore[arg-type]
    assert (caught.value.kind, caught.value.message) == (ErrorKind.BAD_OPTION, message)
