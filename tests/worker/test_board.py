"""The step board: budgeted time counted on shared memory, the current step's name."""

from __future__ import annotations

import time

from derivcli.worker import board


def test_step_board_counts_only_budgeted_time() -> None:
    shared = board.StepBoard()
    shared.reset()
    shared.post("a", budgeted=True, spent=1.5)
    assert shared.name() == "a"
    assert shared.budgeted()
    assert shared.spent(time.monotonic()) >= 1.5
    shared.post("b", budgeted=False)
    frozen = shared.spent(time.monotonic())
    time.sleep(0.05)
    assert shared.spent(time.monotonic()) == frozen
    assert not shared.budgeted()


def test_outside_a_worker_steps_do_nothing_and_events_go_where_pointed() -> None:
    board.step("anything")  # no board attached: nothing to post to, nothing raised
    seen: list[object] = []
    board.events_to(seen.append)
    try:
        assert board.listening()
        board.emit(("progress", 1))
    finally:
        board.events_to(None)
    assert not board.listening()
    board.emit("dropped")
    assert seen == [("progress", 1)]
