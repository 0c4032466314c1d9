"""The worker's entry for eval and partial: autograd's answers go out first, to whoever listens."""

from __future__ import annotations

import pytest

from derivcli.core import compare
from derivcli.model.eval import AutogradOnly, EvalRequest, Mode
from derivcli.model.plan import make_plan
from derivcli.model.setup import Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point
from derivcli.work import eval as evaluate
from derivcli.worker import board


def _request() -> EvalRequest:
    expression, point = parse_expression("x**2 + 1"), parse_point("x=3")
    return EvalRequest(
        plan=make_plan(mode=Mode.PARTIAL, expression=expression, points=[point]),
        setup=Setup(),
        mode=Mode.PARTIAL,
    )


def test_autograd_s_answers_go_first_to_a_listener() -> None:
    seen: list[object] = []
    board.events_to(seen.append)
    try:
        report = evaluate.run(_request())
    finally:
        board.events_to(None)
    assert [type(event) for event in seen] == [AutogradOnly]
    assert report.points[0].derivatives["x"].autograd == 6.0


def test_with_no_listener_they_are_not_put_together(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_: object) -> None:
        raise AssertionError("autograd's answers were put together for no one")

    monkeypatch.setattr(compare, "_autograd_only", refused)
    report = evaluate.run(_request())
    assert report.points[0].derivatives["x"].exact == "6"
