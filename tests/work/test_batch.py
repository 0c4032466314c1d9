"""deriv batch: one result per line, in order; bad lines answered and the batch goes on."""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

import pytest

from derivcli.errors import ErrorKind
from derivcli.model.versions import versions
from derivcli.parsing.grammar import KNOWN_FUNCTIONS
from derivcli.render.documents.eval import batch_line
from derivcli.work.batch import (
    LINES_PER_WORKER,
    _Arrivals,
    _Handover,
    parent_has_a_cpu,
    run_batch,
    usable_cpus,
)
from derivcli.worker import channel
from derivcli.worker.process import Worker, close_default


def answers(*lines: str) -> list[dict[str, object]]:
    """Each line's answer, without the versions every line carries (checked here)."""
    found = [json.loads(batch_line(result)) for result in run_batch(lines)]
    for answer in found:
        assert answer.pop("versions") == versions()
    return found


def test_one_point_one_variable_matches_partial_json() -> None:
    (answer,) = answers('{"expr": "6*x**2+2*x+4", "at": {"x": 3}}')
    assert answer["line"] == 1
    assert "id" not in answer
    entry = answer["points"][0]["derivatives"]["x"]  # type: ignore[index]
    assert (entry["autograd"], entry["exact"]) == (38.0, "38")


def test_ids_are_echoed_and_lines_counted() -> None:
    results = answers('{"expr": "x", "at": 1, "id": 7}', '{"expr": "x", "at": 2, "id": {"k": [1]}}')
    assert [(r["line"], r["id"]) for r in results] == [(1, 7), (2, {"k": [1]})]


def test_several_points_strings_wrt_and_order() -> None:
    (answer,) = answers(
        '{"expr": "u*v + u**2", "at": [{"u": 1, "v": 2}, {"u": "pi/4", "v": "1/2"}], "wrt": "u"}'
    )
    points = answer["points"]  # type: ignore[assignment]
    assert [p["derivatives"]["u"]["exact"] for p in points] == ["4", "1/2 + pi/2"]  # type: ignore[index]
    (second,) = answers('{"expr": "x**4", "at": {"x": 2}, "order": 2}')
    assert second["points"][0]["derivatives"]["x,x"]["autograd"] == 48.0  # type: ignore[index]


@pytest.mark.parametrize(
    ("line", "kind", "message"),
    [
        ("not json", ErrorKind.BAD_LINE, "the line is not JSON: Expecting value"),
        ("", ErrorKind.BAD_LINE, "the line is empty"),
        ("[1, 2]", ErrorKind.BAD_LINE, "the line is a JSON list, not an object"),
        ('{"at": {"x": 1}}', ErrorKind.BAD_LINE, 'the line needs "expr"'),
        ('{"expr": "x", "atx": 1}', ErrorKind.BAD_LINE, "unknown key 'atx'"),
        ('{"expr": "x", "at": {"x": NaN}}', ErrorKind.BAD_LINE, "the line is not JSON: NaN is not JSON"),
        (
            '{"expr": "x", "at": {"x": true}}',
            ErrorKind.BAD_POINT,
            "the value of x must be a number or a string",
        ),
        ('{"expr": "x", "at": 1, "dtype": "float16"}', ErrorKind.BAD_OPTION, '"dtype" must be one of'),
        ('{"expr": "x", "at": 1, "order": "2"}', ErrorKind.BAD_LINE, '"order" must be a whole number'),
        ('{"expr": "__import__(1)", "at": 1}', ErrorKind.NOT_ALLOWED, "names starting with '__'"),
        ('{"expr": "x*y", "at": {"x": 1}}', ErrorKind.MISSING_VALUE, "no value for variable y"),
        ('{"expr": "x", "at": 1, "device": "tpu"}', ErrorKind.BAD_OPTION, "unknown device 'tpu'"),
    ],
)
def test_bad_lines_are_answered_and_the_batch_goes_on(line: str, kind: ErrorKind, message: str) -> None:
    results = list(run_batch([line, '{"expr": "x**2", "at": 3}']))
    assert results[0].error is not None
    assert results[0].error.kind is kind
    assert message in results[0].error.message
    assert results[1].report is not None
    assert results[1].line == 2


def test_error_lines_keep_the_id_and_are_strict_json() -> None:
    (answer,) = answers('{"expr": "foo(x)", "at": 1, "id": "a"}')
    assert answer == {
        "line": 1,
        "id": "a",
        "error": {
            "kind": "unknown-function",
            "message": f"unknown function 'foo' (column 1); the functions are {KNOWN_FUNCTIONS}",
            "column": 1,
        },
    }


def test_a_repeated_expression_is_parsed_once() -> None:
    results = list(run_batch(['{"expr": "x**3", "at": 1}', '{"expr": "x**3", "at": 2}']))
    first, second = (result.report for result in results)
    assert first is not None
    assert second is not None
    assert (first.points[0].derivatives["x"].autograd, second.points[0].derivatives["x"].autograd) == (
        3.0,
        12.0,
    )


def test_a_long_line_is_answered_and_the_batch_goes_on() -> None:
    from derivcli.model.batch import LongLine

    results = list(run_batch([LongLine(250_000), '{"expr": "x**2", "at": 3}']))
    assert results[0].error is not None
    assert (results[0].error.kind, results[0].error.message) == (
        ErrorKind.TOO_LONG,
        "the line is 250,000 characters long; the limit is 100,000",
    )
    assert results[1].report is not None


def test_workers_go_on_past_a_slow_line_and_answers_keep_their_order() -> None:
    # Line 1 never ends (its point cannot be read in time); the other worker answers the lines after
    # it meanwhile, and every answer still comes in input order, line 1's timeout first.
    hangs = json.dumps({"expr": "x", "at": {"x": "sin(exp(exp(exp(3))))"}})
    quick = [json.dumps({"expr": f"x**{power}", "at": 2}) for power in range(1, 25)]
    results = list(run_batch([hangs, *quick], jobs=2, timeout=1))
    assert [result.line for result in results] == list(range(1, 26))
    assert results[0].error is not None
    assert results[0].error.kind is ErrorKind.TIMEOUT
    slopes = [result.report.points[0].derivatives["x"].autograd for result in results[1:] if result.report]
    assert slopes == [power * 2.0 ** (power - 1) for power in range(1, 25)]


def test_lines_held_by_a_worker_stopped_for_time_are_answered_by_its_replacement() -> None:
    # One worker: the lines handed to it behind the line that hangs go out again to the fresh worker.
    _assert_quick_lines_answered_around_a_hang(quick=5, before=2)


def _assert_quick_lines_answered_around_a_hang(*, quick: int, before: int) -> None:
    """One worker, ``quick`` lines x**n at 2, one that hangs after the first ``before``: all in order."""
    hangs = json.dumps({"expr": "x", "at": {"x": "sin(exp(exp(exp(3))))"}})
    lines = [json.dumps({"expr": f"x**{power}", "at": 2}) for power in range(1, quick + 1)]
    results = list(run_batch([*lines[:before], hangs, *lines[before:]], jobs=1, timeout=1))
    assert [result.line for result in results] == list(range(1, quick + 2))
    assert [result.error.kind for result in results if result.error is not None] == [ErrorKind.TIMEOUT]
    assert results[before].error is not None
    slopes = [result.report.points[0].derivatives["x"].autograd for result in results if result.report]
    assert slopes == [power * 2.0 ** (power - 1) for power in range(1, quick + 1)]


@pytest.mark.parametrize("reply_delay", [channel.REPLY_DELAY_SECONDS, 60.0])
def test_waiting_lines_go_to_a_worker_several_in_one_message(
    monkeypatch: pytest.MonkeyPatch, reply_delay: float
) -> None:
    # The worker reads one message per few lines; every line is still answered alone, in order. With
    # replies held back long, those of the lines before the one that hangs are lost with the worker
    # and answered again by its replacement; the timeout is still the hanging line's.
    monkeypatch.setattr(channel, "REPLY_DELAY_SECONDS", reply_delay)
    close_default()  # the worker is forked after the change
    messages: list[int] = []
    original = Worker.submit_each

    def recorded(self: Worker, function: Any, arguments: Any, *, limits: Any) -> None:
        messages.append(len(arguments))
        original(self, function, arguments, limits=limits)

    monkeypatch.setattr(Worker, "submit_each", recorded)
    _assert_quick_lines_answered_around_a_hang(quick=30, before=10)
    assert max(messages) > 1
    assert max(messages) <= LINES_PER_WORKER
    assert sum(messages) >= 31  # lines lost with the stopped worker go out again


def test_a_batch_left_early_leaves_no_answers_behind_for_the_next() -> None:
    # The first batch is dropped after one answer, with lines still held by the worker; the next batch
    # on the same worker must get its own answers, not those.
    first = run_batch([json.dumps({"expr": f"x**{power}", "at": 2}) for power in range(1, 8)])
    assert next(first).line == 1
    first.close()
    (result,) = run_batch(['{"expr": "x**3", "at": 5}'])
    assert result.report is not None
    assert result.report.points[0].derivatives["x"].autograd == 75.0


def test_the_reader_stops_when_the_hand_over_is_full_and_resumes_once_it_has_drained() -> None:
    handover = _Handover()
    fed: list[int] = []

    def feed() -> None:
        for number in range(200):
            handover.put(str(number))
            fed.append(number)

    reader = threading.Thread(target=feed, daemon=True)
    reader.start()
    reader.join(timeout=0.5)
    assert len(fed) == _Handover.HIGH  # full: the reader waits
    for _ in range(_Handover.HIGH - _Handover.LOW - 1):
        handover.get(block=False)
    reader.join(timeout=0.2)
    assert len(fed) == _Handover.HIGH  # not yet drained to LOW: still waiting
    handover.get(block=False)
    taken = _Handover.HIGH - _Handover.LOW
    while len(fed) < 200:
        assert handover.get(block=True) == str(taken)
        taken += 1
    reader.join(timeout=5)
    while taken < 200:
        assert handover.get(block=False) == str(taken)
        taken += 1
    with pytest.raises(queue.Empty):
        handover.get(block=False)


def test_a_waiting_taker_is_woken_by_the_next_line() -> None:
    handover = _Handover()
    threading.Timer(0.2, handover.put, args=("late",)).start()
    began = time.monotonic()
    assert handover.get(block=True) == "late"
    assert 0.15 < time.monotonic() - began < 5


def test_with_several_workers_what_the_heavy_import_leaves_is_frozen_once() -> None:
    # This process imports SymPy and torch for the workers it forks; full collections must not walk
    # all of it for every few hundred answers. Run apart: freezing is for the whole process.
    script = (
        "import gc, json\n"
        "from derivcli.work.batch import run_batch\n"
        "lines = [json.dumps({'expr': 'x**2', 'at': {'x': n}}) for n in range(3)]\n"
        "before = gc.get_freeze_count()\n"
        "assert [r.report is not None for r in run_batch(lines, jobs=2)] == [True] * 3\n"
        "first = gc.get_freeze_count()\n"
        "list(run_batch(lines, jobs=2))\n"
        "print(before, first > 10000, gc.get_freeze_count() <= first)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["0", "True", "True"], done.stderr


class _Piped:
    """A stand-in worker: only the connection its answers arrive on."""

    def __init__(self) -> None:
        self.receiving, self.sending = multiprocessing.Pipe(duplex=False)

    def wait_handle(self) -> Connection:
        return self.receiving


@pytest.mark.parametrize("nap", [True, False])
def test_waiting_for_answers_finds_the_worker_that_answered(nap: bool) -> None:
    arrivals = _Arrivals(nap=nap)
    quiet, answering = _Piped(), _Piped()
    began = time.monotonic()
    assert arrivals.wait([quiet, answering], 0.05) == []
    assert 0.04 < time.monotonic() - began < 5  # napped, then slept, for the whole wait
    threading.Timer(0.005, answering.sending.send, args=("answer",)).start()  # within the naps
    assert arrivals.wait([quiet, answering], 5) == [answering]
    threading.Timer(0.1, quiet.sending.send, args=("late",)).start()  # after them: asleep on the pipes
    began = time.monotonic()
    assert arrivals.wait([quiet], 5) == [quiet]
    assert 0.05 < time.monotonic() - began < 4


@pytest.mark.parametrize(("jobs", "cpus", "nap"), [(1, 2, True), (2, 2, False), (3, 4, True), (1, 1, False)])
def test_the_scheduler_naps_only_on_a_cpu_no_worker_needs(jobs: int, cpus: int, nap: bool) -> None:
    assert parent_has_a_cpu(jobs, cpus) is nap


def test_usable_cpus_are_this_process_s_share_of_the_machine() -> None:
    assert 1 <= usable_cpus() <= (os.cpu_count() or 1)


def test_lines_and_answers_larger_than_a_pipe_holds_flow_both_ways() -> None:
    # Each line is 16 kB and its answer 1 MB: a message of several lines fills the worker's pipe while
    # the worker writes answers to a full pipe of its own. Neither side may wait for the other.
    points = [round(1.2345 + 0.001 * step, 4) for step in range(1, 2001)]
    lines = "".join(json.dumps({"expr": f"x**2 + {k}*x", "at": points}) + "\n" for k in range(16))
    done = subprocess.run(
        [sys.executable, "-m", "derivcli", "batch", "--jobs", "1"],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [answer["line"] for answer in answers] == list(range(1, 17))
    slopes = [answer["points"][-1]["derivatives"]["x"]["autograd"] for answer in answers]
    assert slopes == [2 * points[-1] + k for k in range(16)]
