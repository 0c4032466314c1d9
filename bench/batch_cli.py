"""deriv batch as a user runs it: whole commands, with the start-up (the same command on one line) subtracted.

Run: python bench/batch_cli.py [--distinct N] [--repeated N] [--rounds N]

Writes N distinct problems and N problems that repeat 20 expressions (the
problems of bench/batch.py) to files, then times ``deriv batch --jobs J``
on each file and on its first line alone, for J = 1 and 2, the ways taking
turns round after round. Printed: lines per second after start-up (the
median over the rounds), and ``--jobs 2`` against ``--jobs 1``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from batch import problems


def seconds_for(path: Path, *, jobs: int) -> float:
    """Wall-clock seconds of ``deriv batch --jobs`` on a file, its answers thrown away."""
    command = [sys.executable, "-m", "derivcli", "batch", str(path), "--jobs", str(jobs)]
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    """Print lines per second after start-up for distinct and repeated expressions, with 1 and 2 jobs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distinct", type=int, default=1000)
    parser.add_argument("--repeated", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for label, count, distinct in (
            ("distinct", args.distinct, True),
            ("repeated", args.repeated, False),
        ):
            lines = list(problems(count, distinct=distinct, seed=7))
            files[label] = Path(folder, f"{label}.jsonl")
            files[label].write_text("\n".join(lines) + "\n")
            files[f"{label}-one"] = Path(folder, f"{label}-one.jsonl")
            files[f"{label}-one"].write_text(lines[0] + "\n")
        counts = {"distinct": args.distinct, "repeated": args.repeated}
        rates: dict[tuple[str, int], list[float]] = {}
        for _ in range(args.rounds):
            for label in counts:
                for jobs in (1, 2):
                    whole = seconds_for(files[label], jobs=jobs)
                    start_up = seconds_for(files[f"{label}-one"], jobs=jobs)
                    rates.setdefault((label, jobs), []).append((counts[label] - 1) / (whole - start_up))
    for label, count in counts.items():
        one, two = (statistics.median(rates[(label, jobs)]) for jobs in (1, 2))
        print(f"{count:,} {label} lines, --jobs 1: {one:.0f} lines/s after start-up")
        print(
            f"{count:,} {label} lines, --jobs 2: {two:.0f} lines/s after start-up, {two / one:.2f}x --jobs 1"
        )


if __name__ == "__main__":
    main()
