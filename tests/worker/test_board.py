"""The step board: budgeted time counted on shared memory, the current step's name."""

from __future__ import annotations

import time

import pytest

from derivcli.worker import board, process

pytestmark = pytest.mark.skipif(not process.fork_is_safe(), reason="the worker needs fork")


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
