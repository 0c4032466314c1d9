"""Throughput of deriv batch after start-up: distinct and repeated expressions, one point each.

Run: python bench/batch.py [--lines N]

Generates N distinct problems (polynomials and trigonometric expressions,
half each, seeded) and N problems that reuse 20 expressions at new points,
and answers each set in several ways: all in one call inside one worker (no
line handed over: what a worker could reach if the hand-off cost nothing),
then by ``deriv batch``'s scheduler with 1, 2, ... workers (up to as many as
it uses by default: one per CPU, at most 4). Every way starts fresh workers
and warms them first: with 20 lines, or for repeated expressions with each
of the 20 expressions twice per worker at other points, so that what is
timed is a repeated line's cost. The ways take turns on the same lines,
round after round, so that a machine whose speed drifts treats them alike.
Printed:
lines per second, one worker against the single call, each number of workers
against one, and the targets: one worker at least 400 distinct and 1,500
repeated lines per second, two workers at least 1.6 times one on distinct
lines (on two or more CPUs).
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
from derivcli.worker.limits import Limits
from derivcli.worker.process import Worker

#: Turns each way takes; the lines are split between them.
ROUNDS = 4
#: The way that answers every line in one call inside one worker.
ONE_CALL = 0
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
    began = time.perf_counter()
    errors = 0
    for result in run_batch([*warm, *lines], jobs=jobs):
        text = batch_line(result)
        if result.line == len(warm):
            began = time.perf_counter()
        elif result.line > len(warm):
            errors += '"error"' in text
    return time.perf_counter() - began, errors


def timed_call(warm: list[str], lines: list[str]) -> tuple[float, int]:
    """The same, answered in one call inside one fresh worker: no line handed over, no answer sent back."""
    worker = Worker()
    try:
        return worker.run(_answer_all, warm, lines, limits=Limits())
    finally:
        worker.close()


def _answer_all(warm: list[str], lines: list[str]) -> tuple[float, int]:
    """Answer and format every line here (runs in the worker); seconds for ``lines``, and their errors."""
    for line in warm:
        solve_line(read_problem(line), 10.0)
    began = time.perf_counter()
    errors = 0
    for number, line in enumerate(lines, start=1):
        try:
            batch_line(BatchResult(number, None, False, solve_line(read_problem(line), 10.0), None))
        except Exception:  # noqa: BLE001 - counted, as deriv batch counts its error lines
            errors += 1
    return time.perf_counter() - began, errors


def main() -> None:
    """Print lines per second for distinct and for repeated expressions, each way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    # Both engines imported here first, so that every worker forked below starts with them: start-up
    # is not timed.
    import derivcli.work.eval  # noqa: F401

    ways = [ONE_CALL, *range(1, default_jobs() + 1)]
    per_round = max(1, args.lines // ROUNDS)
    targets = {True: 400, False: 1500}
    for label, distinct in (("distinct expressions", True), ("20 expressions repeated", False)):
        # Each worker keeps its own caches: for repeated expressions, warm every worker with each of them.
        warming = {way: 20 if distinct else 40 * max(1, way) for way in ways}
        seconds = dict.fromkeys(ways, 0.0)
        errors = dict.fromkeys(ways, 0)
        for turn in range(ROUNDS):
            lines = list(problems(per_round, distinct=distinct, seed=turn + 1))
            for way in ways[turn % len(ways) :] + ways[: turn % len(ways)]:
                warm = list(problems(warming[way], distinct=distinct, seed=99))
                spent, failed = (
                    timed_call(warm, lines) if way == ONE_CALL else timed_batch(warm, lines, jobs=way)
                )
                seconds[way] += spent
                errors[way] += failed
        count = per_round * ROUNDS
        rate = {way: count / seconds[way] for way in ways}
        print(
            f"{count:,} lines, {label}, one call in one worker:"
            f" {rate[ONE_CALL]:.0f} lines/s ({errors[ONE_CALL]} errors)"
        )
        for jobs in ways[1:]:
            if jobs == 1:
                versus = f"{rate[1] / rate[ONE_CALL]:.2f}x one call; target >= {targets[distinct]:,} lines/s"
            else:
                target = "; target >= 1.6x with 2 workers" if distinct and jobs == 2 else ""
                versus = f"{rate[jobs] / rate[1]:.2f}x one worker{target}"
            print(
                f"{count:,} lines, {label}, {jobs} worker{'s' if jobs > 1 else ''}:"
                f" {rate[jobs]:.0f} lines/s, {versus} ({errors[jobs]} errors)"
            )


if __name__ == "__main__":
    main()
