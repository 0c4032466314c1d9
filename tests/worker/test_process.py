"""The worker process: time budget, memory cap, errors carried across, events, replacement."""

from __future__ import annotations

import faulthandler
import json
import os
import pickle
import resource
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from derivcli.errors import DerivError, ErrorKind, WorkerBugError, internal_message
from derivcli.worker import board, channel, freezing, process
from derivcli.worker.limits import Limits
from derivcli.worker.process import Worker

pytestmark = pytest.mark.skipif(not process.fork_is_safe(), reason="the worker needs fork")


def _sleep_in(step_name: str, seconds: float, *, budgeted: bool) -> str:
    board.step(step_name, budgeted=budgeted)
    time.sleep(seconds)
    return "done"


def _c_level_loop() -> int:
    board.step("summing forever")
    # sum() over a range runs inside C: no signal handler runs until it returns.
    return sum(range(10**13))


def _raise_deriv_error() -> None:
    raise DerivError(ErrorKind.BAD_POINT, "x is given twice", source="x=1,x=2", column=5, length=1)


def _raise_bug() -> None:
    raise ValueError("boom")


def _allocate(gib: int) -> int:
    board.step("allocating")
    return len(bytearray(gib * 2**30))


def _pid() -> int:
    return os.getpid()


def _emit_three() -> str:
    for number in range(3):
        board.emit(("event", number))
    return "after events"


@pytest.fixture
def pool() -> Any:
    """A fresh worker, closed after the test."""
    instance = Worker()
    yield instance
    instance.close()


def test_a_value_comes_back(pool: Worker) -> None:
    assert pool.run(_sleep_in, "napping", 0.01, budgeted=True, limits=Limits(seconds=5)) == "done"


def test_a_budgeted_step_past_the_budget_is_stopped_and_named(pool: Worker) -> None:
    began = time.monotonic()
    with pytest.raises(DerivError) as caught:
        pool.run(_sleep_in, "differentiating", 30, budgeted=True, limits=Limits(seconds=0.5))
    assert time.monotonic() - began < 10
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert caught.value.step == "differentiating"
    assert caught.value.message == (
        "the computation ran out of its 0.5 s time budget while differentiating"
        " (raise the budget with --timeout)"
    )


def test_unbudgeted_steps_do_not_spend_the_budget(pool: Worker) -> None:
    # Numeric work (autograd over a big grid) may take longer than the symbolic budget.
    assert pool.run(_sleep_in, "running autograd", 1.0, budgeted=False, limits=Limits(seconds=0.3)) == "done"


def test_a_loop_inside_c_is_stopped(pool: Worker) -> None:
    began = time.monotonic()
    with pytest.raises(DerivError) as caught:
        pool.run(_c_level_loop, limits=Limits(seconds=0.5))
    assert (caught.value.kind, caught.value.step) == (ErrorKind.TIMEOUT, "summing forever")
    assert time.monotonic() - began < 10


def test_a_stopped_worker_is_replaced(pool: Worker) -> None:
    first = pool.run(_pid, limits=Limits())
    assert pool.run(_pid, limits=Limits()) == first  # one worker serves many calls
    with pytest.raises(DerivError):
        pool.run(_sleep_in, "stuck", 30, budgeted=True, limits=Limits(seconds=0.2))
    second = pool.run(_pid, limits=Limits())
    assert second not in (first, os.getpid())


def test_deriv_errors_cross_with_every_field(pool: Worker) -> None:
    with pytest.raises(DerivError) as caught:
        pool.run(_raise_deriv_error, limits=Limits())
    error = caught.value
    assert (error.kind, error.message, error.source, error.column, error.length) == (
        ErrorKind.BAD_POINT,
        "x is given twice",
        "x=1,x=2",
        5,
        1,
    )


def test_a_bug_arrives_named_with_its_traceback(pool: Worker) -> None:
    with pytest.raises(WorkerBugError) as caught:
        pool.run(_raise_bug, limits=Limits())
    assert str(caught.value) == "ValueError: boom"
    assert internal_message(caught.value) == "internal error: ValueError: boom"
    assert internal_message(KeyError("k")) == "internal error: KeyError: 'k'"
    assert "_raise_bug" in caught.value.details


def test_memory_beyond_the_cap_is_refused(pool: Worker) -> None:
    with pytest.raises(DerivError) as caught:
        pool.run(_allocate, 16, limits=Limits(memory_bytes=2 * 2**30))
    assert caught.value.kind is ErrorKind.OUT_OF_MEMORY
    assert caught.value.message == "the worker process ran out of its memory budget of 2 GiB while allocating"


def test_events_arrive_in_order_before_the_value(pool: Worker) -> None:
    seen: list[Any] = []
    assert pool.run(_emit_three, limits=Limits(), on_event=seen.append) == "after events"
    assert seen == [("event", 0), ("event", 1), ("event", 2)]


def test_without_fork_the_call_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "fork_is_safe", lambda: False)
    seen: list[Any] = []
    assert Worker().run(_emit_three, limits=Limits(), on_event=seen.append) == "after events"
    assert len(seen) == 3
    assert Worker().run(_pid, limits=Limits()) == os.getpid()


def test_deriv_error_pickles_with_its_step() -> None:
    error = DerivError(ErrorKind.TIMEOUT, "out of time", step="simplifying")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.kind, copy.message, copy.step) == (ErrorKind.TIMEOUT, "out of time", "simplifying")


def test_a_result_collected_late_is_not_a_timeout(pool: Worker) -> None:
    # deriv batch with several workers may collect an answer long after it was computed.
    limits = Limits(seconds=0.5)
    pool.submit(_sleep_in, "quick", 0.01, budgeted=True, limits=limits)
    time.sleep(1.0)
    assert pool.collect(limits) == "done"


def _die_by(signal_number: int) -> None:
    board.step("crashing")
    faulthandler.disable()  # pytest's handler would print the crash's stack
    os.kill(os.getpid(), signal_number)
    time.sleep(10)


def test_a_worker_killed_while_idle_is_replaced(pool: Worker) -> None:
    first = pool.run(_pid, limits=Limits())
    os.kill(first, signal.SIGKILL)
    time.sleep(0.2)
    second = pool.run(_pid, limits=Limits())
    assert second != first


def test_a_worker_killed_from_outside_is_killed_not_out_of_memory(
    pool: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kernel counts its out-of-memory kills (cgroup v2): no new one, so another program sent it.
    monkeypatch.setattr(process, "oom_kills", lambda: 4)
    with pytest.raises(DerivError) as caught:
        pool.run(_die_by, signal.SIGKILL, limits=Limits())
    assert (caught.value.kind, caught.value.message, caught.value.step) == (
        ErrorKind.KILLED,
        f"the worker process was killed (signal {int(signal.SIGKILL)} (SIGKILL), sent by another program)"
        " while crashing",
        "crashing",
    )
    assert pool.run(_pid, limits=Limits()) != os.getpid()


def test_a_sigkill_the_kernel_counted_is_out_of_memory(pool: Worker, monkeypatch: pytest.MonkeyPatch) -> None:
    counts = iter([4, 5])
    monkeypatch.setattr(process, "oom_kills", lambda: next(counts))
    with pytest.raises(DerivError) as caught:
        pool.run(_die_by, signal.SIGKILL, limits=Limits())
    assert (caught.value.kind, caught.value.message) == (
        ErrorKind.OUT_OF_MEMORY,
        "the kernel's out-of-memory killer ended the worker process while crashing",
    )


def test_without_the_kernels_count_both_senders_are_named(
    pool: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "oom_kills", lambda: None)
    with pytest.raises(DerivError) as caught:
        pool.run(_die_by, signal.SIGTERM, limits=Limits())
    assert caught.value.kind is ErrorKind.KILLED
    assert "(SIGTERM), sent by another program)" in caught.value.message


def test_a_crashed_worker_is_a_bug_with_its_signal(pool: Worker) -> None:
    with pytest.raises(WorkerBugError) as caught:
        pool.run(_die_by, signal.SIGSEGV, limits=Limits())
    assert (
        str(caught.value)
        == f"the worker process ended (signal {int(signal.SIGSEGV)} (SIGSEGV)) while crashing"
    )


def test_a_finite_cpu_limit_of_the_environment_is_respected() -> None:
    # Under `ulimit -t` the worker may not raise its CPU limit to infinity.
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (1000, 1000))

    completed = subprocess.run(
        [sys.executable, "-m", "derivcli", "eval", "x**2", "--at", "x=3", "--json"],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=120,
        check=False,
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    assert json.loads(completed.stdout)["points"][0]["derivatives"]["x"]["autograd"] == 6.0


def _cpu_limits() -> tuple[int, int]:
    board.step("budgeted", budgeted=True)
    during = resource.getrlimit(resource.RLIMIT_CPU)[0]
    board.step("free", budgeted=False)
    return during, resource.getrlimit(resource.RLIMIT_CPU)[0]


def test_the_kernel_s_cpu_limit_holds_during_budgeted_steps_only(pool: Worker) -> None:
    # Set for each budgeted step and lifted after it, call after call (the worker skips a limit already set).
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    cores = os.cpu_count() or 1
    for _ in range(3):
        during, after = pool.run(_cpu_limits, limits=Limits(seconds=5))
        assert 5 * cores <= during < (hard if hard != resource.RLIM_INFINITY else 10**9)
        assert after == hard


def _stop_itself() -> None:
    board.step("being stopped")
    os.kill(os.getpid(), signal.SIGSTOP)


def test_a_stopped_worker_still_spends_its_budget(pool: Worker) -> None:
    # SIGSTOP freezes the worker's CPU clock, not the command's: the budget runs out all the same.
    began = time.monotonic()
    with pytest.raises(DerivError) as caught:
        pool.run(_stop_itself, limits=Limits(seconds=0.5))
    assert (caught.value.kind, caught.value.step) == (ErrorKind.TIMEOUT, "being stopped")
    assert time.monotonic() - began < 5


def test_calls_handed_over_together_run_in_turn_each_on_its_own_budget(pool: Worker) -> None:
    # Together they take 1.2 s of budgeted time; each alone stays within its 1 s.
    limits = Limits(seconds=1.0)
    pool.submit(_sleep_in, "first", 0.6, budgeted=True, limits=limits)
    pool.submit(_sleep_in, "second", 0.6, budgeted=True, limits=limits)
    assert pool.outstanding == 2
    began = time.monotonic()
    while pool.outstanding:
        assert pool.overdue(limits) is None
        assert pool.collect(limits, tick=lambda: None) == "done"
    assert time.monotonic() - began >= 1.1


def _sleep_then_name(step_name: str, seconds: float) -> str:
    board.step(step_name, budgeted=True)
    time.sleep(seconds)
    return step_name


def test_calls_handed_over_in_one_message_each_reply_on_their_own_budget(pool: Worker) -> None:
    # One message, three calls: 1.2 s of budgeted time together, each within its own 1 s.
    limits = Limits(seconds=1.0)
    pool.submit_each(_sleep_then_name, [("first", 0.4), ("second", 0.4), ("third", 0.4)], limits=limits)
    assert pool.outstanding == 3
    began = time.monotonic()
    answers = []
    while pool.outstanding:
        assert pool.overdue(limits) is None
        answers.append(pool.collect(limits, tick=lambda: None))
    assert answers == ["first", "second", "third"]
    assert time.monotonic() - began >= 1.1


def test_replies_of_one_message_leave_together(pool: Worker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channel, "REPLY_DELAY_SECONDS", 60.0)  # read by the worker forked below
    limits = Limits(seconds=5)
    pool.submit_each(_sleep_then_name, [("first", 0.0), ("second", 0.3)], limits=limits)
    pool.submit(_sleep_then_name, "third", 0.0, limits=limits)  # waiting behind: replies may wait too
    replies = _replies_of(pool)
    assert not replies.poll(0.2)  # the first call has long ended; its reply waits for the second's
    assert pool.running() == 1
    assert pool.collect(limits) == "first"
    assert pool.buffered()
    assert pool.collect(limits) == "second"
    assert pool.collect(limits) == "third"
    assert (pool.buffered(), pool.outstanding, pool.running()) == (False, 0, 0)


def test_with_no_message_behind_each_reply_leaves_at_once(
    pool: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker's pipe is empty: the parent needs the first reply to hand over more lines in time.
    limits = _holding_replies(monkeypatch, 60.0)
    pool.submit_each(_sleep_then_name, [("first", 0.0), ("second", 0.5)], limits=limits)
    replies = _replies_of(pool)
    assert replies.poll(0.4)
    assert pool.collect(limits) == "first"
    assert not pool.buffered()
    assert pool.collect(limits) == "second"


def _holding_replies(monkeypatch: pytest.MonkeyPatch, seconds: float) -> Limits:
    """Workers forked from now hold replies up to ``seconds``; the limits of the calls handed to them."""
    monkeypatch.setattr(channel, "REPLY_DELAY_SECONDS", seconds)
    return Limits(seconds=5)


def _replies_of(pool: Worker) -> Any:
    """The pipe the worker's replies arrive on."""
    replies = pool.wait_handle()
    assert replies is not None
    return replies


def _work_then_name(name: str, seconds: float) -> str:
    board.step(name, budgeted=True)
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        pass  # CPU time, which the worker's alarm counts
    return name


def test_a_held_reply_leaves_while_a_slow_call_after_it_still_works(
    pool: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = _holding_replies(monkeypatch, 0.05)
    pool.submit_each(_work_then_name, [("quick", 0.0), ("slow", 2.0)], limits=limits)
    pool.submit(_pid, limits=limits)  # a message behind: the quick call's reply is held at first
    replies = _replies_of(pool)
    began = time.monotonic()
    assert replies.poll(1.5)
    assert pool.collect(limits) == "quick"
    assert time.monotonic() - began < 1.5  # the slow call has not ended
    assert pool.running() == 0
    assert pool.collect(limits) == "slow"


@pytest.mark.parametrize(("delay", "lost"), [(60.0, 1), (0.0, 0)])
def test_a_call_of_a_message_that_overruns_ends_the_worker_with_the_replies_not_yet_sent(
    pool: Worker, monkeypatch: pytest.MonkeyPatch, delay: float, lost: int
) -> None:
    # With the replies held back, the quick call's is lost with the worker: the caller hands it out again.
    monkeypatch.setattr(channel, "REPLY_DELAY_SECONDS", delay)
    limits = Limits(seconds=0.3)
    pool.submit_each(_sleep_then_name, [("quick", 0.0), ("stuck", 30.0), ("after", 0.0)], limits=limits)
    pool.submit(_pid, limits=limits)  # a message waiting behind: the worker may hold its replies back
    if not lost:
        assert pool.collect(limits) == "quick"
    with pytest.raises(DerivError) as caught:
        pool.collect(limits)
    assert (caught.value.kind, caught.value.step) == (ErrorKind.TIMEOUT, "stuck")
    assert pool.lost == lost
    assert pool.outstanding == 0
    assert pool.run(_pid, limits=limits) != os.getpid()


def test_a_worker_that_dies_with_replies_inside_says_which_call_it_was_on(
    pool: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel, "REPLY_DELAY_SECONDS", 60.0)
    pool.submit_each(_name_or_die, [("first",), ("second",), ("die",), ("after",)], limits=Limits())
    pool.submit(_pid, limits=Limits())
    with pytest.raises(DerivError) as caught:
        pool.collect(Limits())
    assert (caught.value.kind, caught.value.step) == (ErrorKind.KILLED, "crashing")
    assert pool.lost == 2
    assert pool.outstanding == 0


def test_an_overdue_call_is_the_one_the_worker_is_on(pool: Worker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channel, "REPLY_DELAY_SECONDS", 60.0)
    limits = Limits(seconds=0.3)
    pool.submit_each(_sleep_then_name, [("quick", 0.0), ("stuck", 30.0)], limits=limits)
    pool.submit(_pid, limits=limits)
    time.sleep(0.5)
    assert pool.running() == 1
    error = pool.overdue(limits)
    assert error is not None
    assert (error.kind, error.step, pool.lost, pool.outstanding) == (ErrorKind.TIMEOUT, "stuck", 1, 0)


def _name_or_die(name: str) -> str:
    if name == "die":
        _die_by(signal.SIGKILL)
    return name


def test_a_failing_call_of_a_message_fails_alone(pool: Worker) -> None:
    pool.submit_each(_fail_or_name, [("first",), ("fail",), ("third",)], limits=Limits())
    assert pool.collect(Limits()) == "first"
    with pytest.raises(DerivError) as caught:
        pool.collect(Limits())
    assert (caught.value.kind, caught.value.message) == (ErrorKind.BAD_POINT, "fail was asked to fail")
    assert pool.collect(Limits()) == "third"
    assert pool.outstanding == 0


def _fail_or_name(name: str) -> str:
    if name == "fail":
        raise DerivError(ErrorKind.BAD_POINT, f"{name} was asked to fail")
    return name


def test_a_call_waiting_behind_an_overdue_one_is_lost_with_the_worker(pool: Worker) -> None:
    limits = Limits(seconds=0.3)
    pool.submit(_sleep_in, "stuck", 30, budgeted=True, limits=limits)
    pool.submit(_pid, limits=limits)
    time.sleep(0.5)
    error = pool.overdue(limits)
    assert error is not None
    assert (error.kind, error.step) == (ErrorKind.TIMEOUT, "stuck")
    assert pool.outstanding == 0
    assert pool.run(_pid, limits=limits) != os.getpid()


def test_handing_a_call_to_a_worker_that_died_holding_one_is_refused(pool: Worker) -> None:
    worker = pool.run(_pid, limits=Limits())
    pool.submit(_die_by, signal.SIGKILL, limits=Limits())
    began = time.monotonic()
    # Until the worker has ended (looked at, not reaped: collecting must still find out how it ended).
    while os.waitid(os.P_PID, worker, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        assert time.monotonic() - began < 10
        time.sleep(0.01)
    with pytest.raises(BrokenPipeError):
        pool.submit(_pid, limits=Limits())
    with pytest.raises(DerivError) as caught:
        pool.collect(Limits())
    assert caught.value.kind is ErrorKind.KILLED
    assert pool.outstanding == 0
    assert pool.run(_pid, limits=Limits()) != os.getpid()


def _frozen_after_importing(module: str) -> tuple[int, int]:
    import gc
    import importlib

    frozen = gc.get_freeze_count()
    importlib.import_module(module)
    return frozen, gc.get_freeze_count()


def _as_if_nothing_was_frozen() -> int:
    import gc

    import sympy  # noqa: F401 - the worker holds SymPy whether or not this test process imported it

    # This test process may have frozen its heap before forking the worker (deriv batch --jobs 2 does).
    gc.unfreeze()
    freezing._frozen_with.clear()
    return gc.get_freeze_count()


def test_the_objects_a_library_leaves_are_frozen_after_the_call_that_imported_it(pool: Worker) -> None:
    # Full collections would walk SymPy's objects again and again: after a call, a worker holding
    # SymPy it has not frozen (here, as if just imported) freezes them.
    assert pool.run(_as_if_nothing_was_frozen, limits=Limits(seconds=60)) == 0
    frozen, _ = pool.run(_frozen_after_importing, "sympy", limits=Limits(seconds=60))
    assert frozen > 10_000
    # With nothing new imported, nothing more is frozen (frozen objects freed since are no longer
    # counted): what later calls make is collected as usual.
    again, _ = pool.run(_frozen_after_importing, "json", limits=Limits(seconds=60))
    assert again <= frozen
    assert pool.run(_frozen_after_importing, "json", limits=Limits(seconds=60))[0] <= again
