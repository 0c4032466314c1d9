"""Throughput of deriv batch after start-up: distinct and repeated expressions, one point each.

Run: python bench/batch.py [--lines N]

Generates N distinct problems (polynomials and trigonometric expressions,
half each, seeded), answers them with the batch core (after a warm-up), then
answers N problems that reuse 20 expressions at new points (cached symbolic
work), and prints lines per second for each with 1, 2, ... worker processes
(up to as many as ``deriv batch`` uses by default: one per CPU, at most 4),
each against one worker measured in the same run, and the targets: one
worker at least 400 distinct and 1,500 repeated lines per second, two
workers at least 1.6 times one on distinct lines (on two or more CPUs).
Last, the same lines answered in this process, with no worker: what one
worker would reach if handing lines over and answers back cost nothing.
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


def lines_per_second(lines: list[str], *, jobs: int) -> tuple[float, int]:
    """Answer every line (formatting included); lines per second and how many were errors."""
    began = time.perf_counter()
    errors = sum('"error"' in batch_line(result) for result in run_batch(lines, jobs=jobs))
    return len(lines) / (time.perf_counter() - began), errors


def in_process_lines_per_second(lines: list[str]) -> float:
    """Answer every line here, with no worker and no budget (formatting included); lines per second."""
    began = time.perf_counter()
    for number, line in enumerate(lines, start=1):
        batch_line(BatchResult(number, None, False, solve_line(read_problem(line), 10.0), None))
    return len(lines) / (time.perf_counter() - began)


def main() -> None:
    """Print lines per second for distinct and for repeated expressions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    # Both engines imported here first, as deriv batch does with several workers: start-up is not timed.
    import derivcli.core.compare  # noqa: F401

    single: dict[bool, float] = {}
    targets = {True: "target >= 400 with 1 worker", False: "target >= 1,500 with 1 worker"}
    for jobs in range(1, default_jobs() + 1):
        lines_per_second(list(problems(20, distinct=True, seed=99)), jobs=jobs)  # warm-up
        for label, distinct in (("distinct expressions", True), ("20 expressions repeated", False)):
            rate, errors = lines_per_second(list(problems(args.lines, distinct=distinct)), jobs=jobs)
            single.setdefault(distinct, rate)
            ratio = rate / single[distinct]
            target = targets[distinct] if jobs == 1 else "target >= 1.6x with 2 workers" if distinct else ""
            said = f"{errors} errors; {target}" if target else f"{errors} errors"
            print(
                f"{args.lines:,} lines, {label}, {jobs} worker{'s' if jobs > 1 else ''}:"
                f" {rate:.0f} lines/s, {ratio:.2f}x one worker ({said})"
            )
    # Last: answering here warms this process's caches, which workers forked later would inherit.
    for line in problems(20, distinct=True, seed=99):
        solve_line(read_problem(line), 10.0)
    for label, distinct in (("distinct expressions", True), ("20 expressions repeated", False)):
        rate = in_process_lines_per_second(list(problems(args.lines, distinct=distinct)))
        print(
            f"{args.lines:,} lines, {label}, in this process (no worker): {rate:.0f} lines/s;"
            f" one worker reaches {single[distinct] / rate:.2f}x of it"
        )


if __name__ == "__main__":
    main()
