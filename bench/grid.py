"""deriv grid against hand-written torch: compute, chunk sizes, threads, --compile, memory, whole processes.

Run: python bench/grid.py [--points 1e7] [--repeat 5] [--big 1e8] [--quick]

Every ratio is against a baseline measured in the same run, medians over
repeats, competing variants interleaved:

1. compute after imports (in one process) for autograd and the symbolic
   derivative over the grid: the naive hand-written code (the whole linspace
   with requires_grad, f(x).sum().backward(), the derivative written out by
   hand on the whole array), the same in cache-sized chunks, a hand-written
   in-place derivative, and deriv's core (run_grid);
2. deriv's core by chunk size, and with 1 or 2 torch threads;
3. --compile: its compile time (cold and warm cache) and the grid size from
   which it pays;
4. peak memory (RSS) of whole processes: imports alone, the naive code, and
   deriv grid at --big points;
5. whole processes at --points: deriv grid against a hand-written script that
   imports torch and sympy, differentiates with sympy.diff and lambdify, and
   runs the naive code; and against `import torch, sympy` alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import torch

from derivcli.grid import GridOptions, run_grid
from derivcli.gridplan import make_grid_plan
from derivcli.parsing import parse_count, parse_expression, parse_range

Tensor = torch.Tensor
WAVE = "sin(x)*exp(-x**2/10) + x**3/100"
CHUNK = 2**17


def wave(x: Tensor) -> Tensor:
    return torch.sin(x) * torch.exp(-(x**2) / 10) + x**3 / 100


def wave_derivative(x: Tensor) -> Tensor:
    return (
        3 * x**2 / 100
        - x * torch.exp(-(x**2) / 10) * torch.sin(x) / 5
        + torch.exp(-(x**2) / 10) * torch.cos(x)
    )


def wave_derivative_in_place(x: Tensor) -> Tensor:
    """The wave's derivative with two temporaries, updated in place."""
    gauss = x.square().div_(-10).exp_()
    result = torch.cos(x).mul_(gauss)
    gauss.mul_(x).mul_(torch.sin(x)).div_(5)
    result.sub_(gauss)
    return result.add_(x.square().mul_(0.03))


def cube(x: Tensor) -> Tensor:
    return 10 * x**3


def cube_derivative(x: Tensor) -> Tensor:
    return 30 * x**2


def cube_derivative_in_place(x: Tensor) -> Tensor:
    return x.square().mul_(30)


def relu(x: Tensor) -> Tensor:
    return torch.relu(x)


def relu_derivative(x: Tensor) -> Tensor:
    return torch.heaviside(x, torch.tensor(0.5, dtype=x.dtype))


CASES: list[
    tuple[str, Callable[[Tensor], Tensor], Callable[[Tensor], Tensor], Callable[[Tensor], Tensor]]
] = [
    (WAVE, wave, wave_derivative, wave_derivative_in_place),
    ("10*x**3", cube, cube_derivative, cube_derivative_in_place),
    ("relu(x)", relu, relu_derivative, relu_derivative),
]


def median_time(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``action`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def naive(n: int, f: Callable[[Tensor], Tensor], derivative: Callable[[Tensor], Tensor]) -> float:
    """The tutorial's code on the whole grid at once, plus the hand-written derivative and the comparison."""
    x = torch.linspace(-10, 10, n, dtype=torch.float64, requires_grad=True)
    f(x).sum().backward()
    assert x.grad is not None
    with torch.no_grad():
        return float((x.grad - derivative(x.detach())).abs().max())


def chunked(
    n: int, f: Callable[[Tensor], Tensor], derivative: Callable[[Tensor], Tensor] | None, size: int = CHUNK
) -> float:
    """The same in chunks of ``size`` points (the derivative and comparison skipped when None)."""
    worst = 0.0
    step = 20 / (n - 1)
    for start in range(0, n, size):
        x = torch.arange(start, min(n, start + size), dtype=torch.float64).mul_(step).sub_(10)
        x.requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x).sum(), [x])
        if derivative is not None:
            with torch.no_grad():
                worst = max(worst, float((grad - derivative(x.detach())).abs().max()))
    return worst


def deriv_core(text: str, n: int, **options: object) -> float:
    """deriv's whole grid core (symbolic work included); returns the engine's elapsed seconds."""
    plan = make_grid_plan(expression=parse_expression(text), ranges=[parse_range("x=-10:10")], num=n)
    return run_grid(plan, GridOptions(**options)).elapsed_s  # type: ignore[arg-type]


def compute_section(n: int, repeat: int) -> None:
    """Compute after imports: hand-written variants against deriv's core."""
    print(f"\n1. Compute after imports, {n:,} float64 points, median of {repeat} (seconds)")
    header = [
        "expression",
        "naive",
        "chunked autograd",
        "chunked both",
        "chunked in-place",
        "deriv",
        "naive/deriv",
    ]
    print("  " + " | ".join(header))
    for text, f, derivative, in_place in CASES:
        deriv_core(text, n)  # warm-up
        variants: dict[str, Callable[[], object]] = {
            "naive": lambda f=f, d=derivative: naive(n, f, d),
            "chunked autograd": lambda f=f: chunked(n, f, None),
            "chunked both": lambda f=f, d=derivative: chunked(n, f, d),
            "chunked in-place": lambda f=f, d=in_place: chunked(n, f, d),
            "deriv": lambda text=text: deriv_core(text, n),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(repeat):  # interleaved
            for name, action in variants.items():
                times[name].append(median_time(action, 1))
        medians = {name: statistics.median(values) for name, values in times.items()}
        cells = [f"{medians[name]:.3f}" for name in variants]
        print(f"  {text} | " + " | ".join(cells) + f" | {medians['naive'] / medians['deriv']:.2f}x")


def chunk_section(n: int, repeat: int) -> None:
    """deriv's core by chunk size and thread count."""
    print(f"\n2. deriv's core on {WAVE} at {n:,} points by chunk size (median of {repeat}, seconds)")
    sizes = [2**12, 2**14, 2**15, 2**16, 2**17, 2**18, 2**20, 2**22, n]
    for size in sizes:
        elapsed = statistics.median(deriv_core(WAVE, n, chunk_size=size) for _ in range(repeat))
        label = "whole grid" if size == n else f"2**{size.bit_length() - 1}"
        print(f"  {label:>10}: {elapsed:.3f} s ({n / elapsed / 1e6:.1f} M points/s)")
    threads = torch.get_num_threads()
    for count in sorted({1, threads}):
        torch.set_num_threads(count)
        elapsed = statistics.median(deriv_core(WAVE, n) for _ in range(repeat))
        print(f"  {count} thread(s), default chunks: {elapsed:.3f} s")
    torch.set_num_threads(threads)


def run_deriv(args: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    """``deriv grid ARGS --json`` in a fresh interpreter; its JSON document."""
    completed = subprocess.run(
        [sys.executable, "-m", "derivcli", "grid", *args, "--json"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    document: dict[str, object] = json.loads(completed.stdout)
    return document


def compile_section(repeat: int) -> None:
    """What --compile costs and where it pays: elapsed = compile + points * per-point time."""
    print(f"\n3. --compile on {WAVE} (engine seconds, median of {repeat})")
    small, large = 2**20, 2**24
    eager = {n: statistics.median(deriv_core(WAVE, n) for _ in range(repeat)) for n in (small, large)}
    with tempfile.TemporaryDirectory() as cache:
        cold = run_deriv(
            [WAVE, "--range", "x=-10:10", "--num", str(small), "--compile"],
            env={"TORCHINDUCTOR_CACHE_DIR": cache},
        )
        warm_small = [
            float(
                run_deriv(
                    [WAVE, "--range", "x=-10:10", "--num", str(small), "--compile"],
                    env={"TORCHINDUCTOR_CACHE_DIR": cache},
                )["elapsed_s"]
            )  # type: ignore[arg-type]
            for _ in range(repeat)
        ]
        warm_large = [
            float(
                run_deriv(
                    [WAVE, "--range", "x=-10:10", "--num", str(large), "--compile"],
                    env={"TORCHINDUCTOR_CACHE_DIR": cache},
                )["elapsed_s"]
            )  # type: ignore[arg-type]
            for _ in range(repeat)
        ]
    compiled_small, compiled_large = statistics.median(warm_small), statistics.median(warm_large)
    per_point_eager = (eager[large] - eager[small]) / (large - small)
    per_point_compiled = (compiled_large - compiled_small) / (large - small)
    warm_overhead = compiled_small - per_point_compiled * small
    cold_overhead = float(cold["elapsed_s"]) - per_point_compiled * small  # type: ignore[arg-type]
    print(
        f"  eager:    {eager[small]:.3f} s at 2**20, {eager[large]:.3f} s at 2**24"
        f" ({per_point_eager * 1e9:.1f} ns/point)"
    )
    print(
        f"  compiled: {compiled_small:.3f} s at 2**20, {compiled_large:.3f} s at 2**24"
        f" ({per_point_compiled * 1e9:.1f} ns/point);"
        f" compile {cold_overhead:.1f} s cold, {warm_overhead:.1f} s warm"
    )
    gain = per_point_eager - per_point_compiled
    if gain > 0:
        print(
            f"  break-even: {warm_overhead / gain:.2e} points (warm cache), {cold_overhead / gain:.2e} (cold)"
        )
    else:
        print("  compiled chunks are not faster per point here: --compile never pays")


# VmHWM, not getrusage: ru_maxrss survives exec, so a child would report its parent's peak.
PEAK_RSS = (
    "print('PEAK_MIB', next(int(line.split()[1]) for line in open('/proc/self/status')"
    " if line.startswith('VmHWM')) / 1024)"
)


def peak_rss(code: str) -> float:
    """Peak RSS (MiB) of a fresh interpreter running ``code``."""
    completed = subprocess.run(
        [sys.executable, "-c", f"{code}\n{PEAK_RSS}"], capture_output=True, text=True, check=True
    )
    line = next(line for line in completed.stdout.splitlines() if line.startswith("PEAK_MIB"))
    return float(line.split()[1])


def memory_section(n: int, big: int) -> None:
    """Peak memory of whole processes."""
    print("\n4. Peak memory of whole processes (MiB)")
    imports = peak_rss("import torch, sympy")
    print(f"  import torch, sympy alone: {imports:.0f}")
    naive_code = textwrap.dedent(
        f"""
        import torch
        x = torch.linspace(-10, 10, {n}, dtype=torch.float64, requires_grad=True)
        y = torch.sin(x) * torch.exp(-x**2 / 10) + x**3 / 100
        y.sum().backward()
        """
    )
    naive_peak = peak_rss("import sympy\n" + naive_code)
    print(f"  naive hand-written, {n:,} points: {naive_peak:.0f} ({naive_peak - imports:.0f} above imports)")
    code = textwrap.dedent(
        f"""
        import sys, time
        sys.argv = ["deriv", "grid", {WAVE!r}, "--range", "x=-10:10", "--num", "{big}", "--json"]
        from derivcli.cli import app
        began = time.perf_counter()
        try:
            app(prog_name="deriv")
        except SystemExit:
            pass
        print("WALL", time.perf_counter() - began, file=sys.stderr)
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", f"{code}\n{PEAK_RSS}"], capture_output=True, text=True, check=True
    )
    peak = float(completed.stdout.rsplit("PEAK_MIB", 1)[1])
    document = json.loads(completed.stdout.rsplit("PEAK_MIB", 1)[0])
    print(
        f"  deriv grid, {big:,} points: {peak:.0f} (target 1024); engine {document['elapsed_s']:.2f} s,"
        f" {document['points_per_s'] / 1e6:.1f} M points/s"
    )


HAND_WRITTEN = textwrap.dedent(
    """
    import sys
    import sympy
    import torch

    n = int(sys.argv[1])
    symbol = sympy.Symbol("x", real=True)
    expression = sympy.sin(symbol) * sympy.exp(-symbol**2 / 10) + symbol**3 / 100
    derivative = sympy.lambdify(symbol, sympy.diff(expression, symbol), modules="torch")
    x = torch.linspace(-10, 10, n, dtype=torch.float64, requires_grad=True)
    y = torch.sin(x) * torch.exp(-x**2 / 10) + x**3 / 100
    y.sum().backward()
    with torch.no_grad():
        print(float((x.grad - derivative(x.detach())).abs().max()))
    """
)


def process_section(n: int, repeat: int) -> None:
    """Whole processes, interleaved: deriv grid, the hand-written script, and the import floor."""
    print(f"\n5. Whole processes at {n:,} points, {repeat} interleaved rounds (median wall seconds)")
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(HAND_WRITTEN)
    commands = {
        "deriv grid --json": [
            sys.executable,
            "-m",
            "derivcli",
            "grid",
            WAVE,
            "--range",
            "x=-10:10",
            "--num",
            str(n),
            "--json",
        ],
        "hand-written script": [sys.executable, script.name, str(n)],
        "import torch, sympy": [sys.executable, "-c", "import torch, sympy"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    try:
        for _ in range(repeat):
            for name, command in commands.items():
                began = time.perf_counter()
                subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
                times[name].append(time.perf_counter() - began)
    finally:
        Path(script.name).unlink()
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"  {name:>20}: {value:.2f} s")
    print(
        f"  deriv / hand-written: {medians['deriv grid --json'] / medians['hand-written script']:.2f}"
        " (target <= 0.85)"
    )


def machine() -> str:
    """CPU model, cores, torch and Python versions."""
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} cores; torch {torch.__version__}, {torch.get_num_threads()} threads;"
        f" Python {platform.python_version()}"
    )


def main() -> None:
    """Run every section and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default="1e7", help="grid size for compute and process timings")
    parser.add_argument("--big", default="1e8", help="grid size for the memory measurement")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="1e6 points, 2 repeats, 1e7 for memory: a smoke test"
    )
    args = parser.parse_args()
    n, big, repeat = (
        parse_count(args.points, option="--points"),
        parse_count(args.big, option="--big"),
        args.repeat,
    )
    if args.quick:
        n, big, repeat = 10**6, 10**7, 2
    print(machine())
    compute_section(n, repeat)
    chunk_section(n, repeat)
    compile_section(repeat)
    memory_section(n, big)
    process_section(n, repeat)


if __name__ == "__main__":
    main()
