"""Throughput of deriv batch after start-up: distinct and repeated expressions, one point each.

Run: python bench/batch.py [--lines N]

Generates N distinct problems (polynomials and trigonometric expressions,
half each, seeded) and N problems that reuse 20 expressions at new points,
and answers each set in several ways, for 1, 2, ... workers (up to as many as
``deriv batch`` uses by default: one per CPU, at most 4):

- n calls at once: n workers each answer their share of the lines in one
  call, with no line handed over and no answer sent back. With one worker
  that is what the scheduler could reach if the hand-off cost nothing; with
  several, what this machine gives that many processes side by side (memory
  and caches shared, other tenants), the ceiling for n workers;
- n workers: ``deriv batch``'s scheduler.

Every way starts fresh workers and warms them first: with 20 lines, or for
repeated expressions with each of the 20 expressions twice per worker at
other points, so that what is timed is a repeated line's cost. The ways take
turns on the same lines, round after round, so that a machine whose speed
drifts treats them alike. Printed: lines per second, each against the ways
measured beside it, and the targets: one worker at least 400 distinct and
1,500 repeated lines per second, two workers at least 1.6 times one on
distinct lines (on two or more CPUs).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator

from derivcli.model.batch import BatchResult, read_problem
from derivcli.render.documents.eval import batch_line
from derivcli.work.batch import default_jobs, run_batch, solve_line
from derivcli.worker.freezing import freeze_libraries
from derivcli.worker.limits import Limits
from derivcli.worker.process import Worker, close_default

#: Turns each way takes; the lines are split between them.
ROUNDS = 4
FUNCTIONS = ("sin", "cos", "exp", "tanh", "atan")


def problems(count: int, *, distinct: bool, seed: int = 1) -> Iterator[str]:
    """JSON lines: alternately a polynomial and a trigonometric expression, at a random point."""
    generator = random.Random(seed)
    for index in range(count):
        shape = index if distinct else index % 20
        a, b, c = (generator.randint(1, 9) for _ in range(3)) if distinct else (shape % 9 + 1, 3, 5)
        if shape % 2 == 0:
            expression = f"{a}*x**{b % 5 + 2} + {b}*x**{c % 3 + 1} - {c}"
        else:
            expression = f"{a}*{FUNCTIONS[shape % 5]}({b}*x) + x**{c % 4 + 1}"
        yield json.dumps({"expr": expression, "at": {"x": round(generator.uniform(-2, 2), 3)}, "id": index})


def timed_batch(warm: list[str], lines: list[str], *, jobs: int) -> tuple[float, int]:
    """Seconds for fresh workers to answer ``lines`` (formatted) after ``warm``; and the errors among them."""
    close_default()  # one worker is the process's own, kept between batches: start this one fresh too
    began = time.perf_counter()
    errors = 0
    for result in run_batch([*warm, *lines], jobs=jobs):
        text = batch_line(result)
        if result.line == len(warm):
            began = time.perf_counter()
        elif result.line > len(warm):
            errors += '"error"' in text
    return time.perf_counter() - began, errors


def timed_calls(warm: list[str], lines: list[str], *, count: int) -> tuple[float, int]:
    """The same, split among ``count`` fresh workers that each answer their share in one call, at once.

    No line is handed over and no answer sent back: with one worker this is
    what the scheduler could reach if the hand-off cost nothing; with several,
    what this machine gives that many processes working side by side.
    """
    workers = [Worker() for _ in range(count)]
    try:
        for index, worker in enumerate(workers):
            # Consecutive lines, so that each share mixes polynomials and trigonometric lines alike.
            share = lines[index * len(lines) // count : (index + 1) * len(lines) // count]
            worker.submit(_answer_all, warm, share, limits=Limits())
        spans = [worker.collect(Limits()) for worker in workers]
    finally:
        for worker in workers:
            worker.close()
    began = min(span[0] for span in spans)
    ended = max(span[1] for span in spans)
    return ended - began, sum(span[2] for span in spans)


def _answer_all(warm: list[str], lines: list[str]) -> tuple[float, float, int]:
    """Answer and format every line here (runs in a worker): when ``lines`` began and ended, and errors."""
    for line in warm:
        solve_line(read_problem(line), 10.0)
    # What a worker does after the call that first imports SymPy and torch (here that call is this one).
    freeze_libraries()
    began = time.monotonic()
    errors = 0
    for number, line in enumerate(lines, start=1):
        try:
            batch_line(BatchResult(number, None, False, solve_line(read_problem(line), 10.0), None))
        except Exception:  # noqa: BLE001 - counted, as deriv batch counts its error lines
            errors += 1
    return began, time.monotonic(), errors


def main() -> None:
    """Print lines per second for distinct and for repeated expressions, each way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    # Both engines imported here first, so that every worker forked below starts with them: start-up
    # is not timed.
    import derivcli.work.eval  # noqa: F401

    counts = range(1, default_jobs() + 1)
    # ("calls", n): n workers answering their share in one call each; ("batch", n): the scheduler.
    ways = [*(("calls", count) for count in counts), *(("batch", count) for count in counts)]
    per_round = max(1, args.lines // ROUNDS)
    targets = {True: 400, False: 1500}
    for label, distinct in (("distinct expressions", True), ("20 expressions repeated", False)):
        seconds = dict.fromkeys(ways, 0.0)
        errors = dict.fromkeys(ways, 0)
        for turn in range(ROUNDS):
            lines = list(problems(per_round, distinct=distinct, seed=turn + 1))
            for way in ways[turn % len(ways) :] + ways[: turn % len(ways)]:
                kind, workers = way
                # Each worker keeps its own caches: for repeated expressions, warm each with all of them.
                warm = list(problems(20 if distinct else 40 * workers, distinct=distinct, seed=99))
                spent, failed = (
                    timed_calls(warm, lines, count=workers)
                    if kind == "calls"
                    else timed_batch(warm, lines, jobs=workers)
                )
                seconds[way] += spent
                errors[way] += failed
        count = per_round * ROUNDS
        rate = {way: count / seconds[way] for way in ways}
        for jobs in counts:
            calls, batch = rate[("calls", jobs)], rate[("batch", jobs)]
            if jobs == 1:
                print(f"{count:,} lines, {label}, one call in one worker: {calls:.0f} lines/s")
                versus = f"{batch / calls:.2f}x one call; target >= {targets[distinct]:,} lines/s"
            else:
                print(
                    f"{count:,} lines, {label}, {jobs} calls at once in {jobs} workers: {calls:.0f} lines/s,"
                    f" {calls / rate[('calls', 1)]:.2f}x one call (what this machine gives {jobs} processes)"
                )
                target = "; target >= 1.6x with 2 workers" if distinct and jobs == 2 else ""
                versus = (
                    f"{batch / rate[('batch', 1)]:.2f}x one worker{target};"
                    f" {batch / calls:.2f}x {jobs} calls at once"
                )
            failed = errors[("batch", jobs)] + errors[("calls", jobs)]
            print(
                f"{count:,} lines, {label}, {jobs} worker{'s' if jobs > 1 else ''}:"
                f" {batch:.0f} lines/s, {versus} ({failed} errors)"
            )


if __name__ == "__main__":
    main()
