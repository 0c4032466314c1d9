"""Start-up cost of whole deriv processes, against the imports they cannot avoid.

Run: python bench/startup.py [--rounds N]

Runs each command as a fresh process, interleaved round by round (so that
load on the machine hits every command alike), and prints the median wall
time and the ratios the targets are stated in: --help, --version and a Tab
completion against ``python -c "import typer"``, and one ``deriv eval``
against ``python -c "import torch, sympy"``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

PYTHON = sys.executable
COMMANDS: dict[str, tuple[list[str], dict[str, str]]] = {
    "python -c 'import typer'": ([PYTHON, "-c", "import typer"], {}),
    "deriv --help": ([PYTHON, "-m", "derivcli", "--help"], {}),
    "deriv --version": ([PYTHON, "-m", "derivcli", "--version"], {}),
    "Tab completion": (
        [PYTHON, "-m", "derivcli"],
        {"_DERIV_COMPLETE": "complete_bash", "COMP_WORDS": "deriv eval x --d", "COMP_CWORD": "3"},
    ),
    "a refused expression": ([PYTHON, "-m", "derivcli", "eval", "__import__('os')", "--at", "1"], {}),
    "python -c 'import torch, sympy'": ([PYTHON, "-c", "import torch, sympy"], {}),
    "deriv eval 6*x**2+2*x+4 --at x=3": (
        [PYTHON, "-m", "derivcli", "eval", "6*x**2+2*x+4", "--at", "x=3"],
        {},
    ),
}


def main() -> None:
    """Time every command, interleaved, and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.rounds):
        for name, (command, environment) in COMMANDS.items():
            began = time.perf_counter()
            subprocess.run(
                command,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **environment},
                check=False,
            )
            times[name].append(time.perf_counter() - began)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"median wall time of {args.rounds} interleaved rounds:")
    for name, value in medians.items():
        print(f"  {name:<36} {value:.3f} s")
    typer_floor = medians["python -c 'import typer'"]
    heavy_floor = medians["python -c 'import torch, sympy'"]
    for name in ("deriv --help", "deriv --version", "Tab completion", "a refused expression"):
        print(
            f"  {name} / import typer: {medians[name] / typer_floor:.2f} (target <= 1.5 for the first three)"
        )
    evaluation = medians["deriv eval 6*x**2+2*x+4 --at x=3"]
    print(f"  deriv eval / import torch, sympy: {evaluation / heavy_floor:.2f} (target <= 1.0)")


if __name__ == "__main__":
    main()
