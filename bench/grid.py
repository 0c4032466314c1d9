"""deriv grid against hand-written torch: compute, chunk sizes, threads, memory, whole processes, --compile.

Run: python bench/grid.py [--points 1e7] [--repeat 5] [--big 1e8] [--quick] [--naive-1e8] [--skip-compile]

Every ratio is against a baseline measured in the same run, as medians over
repeats with the competing variants interleaved (round after round, each
variant once per round), because small machines are noisy:

1. compute after imports, in this process, for autograd and the symbolic
   derivative over --points float64 points on x in [-10, 10]: the naive
   hand-written code (the whole linspace with requires_grad,
   f(x).sum().backward(), the derivative written out by hand on the whole
   array, the largest difference), the same autograd in cache-sized chunks
   (alone, and with the derivative and comparison), a hand-written in-place
   derivative in chunks, and deriv's core (run_grid: its engine time and the
   wall time of the whole call); plus how far deriv's values are from the
   hand-written derivative;
2. deriv's core by chunk size, and with 1 or 2 torch threads;
3. peak memory (RSS) of fresh interpreters: imports alone, the naive code at
   --points (at 10^8 too with --naive-1e8: about 8 GiB or more), and
   `python -m derivcli grid ... --json` at --big points, with its wall time;
4. whole processes at --points: `python -m derivcli grid ... --json` against
   a hand-written script that imports torch and sympy, differentiates with
   sympy.diff and lambdify and runs the naive code, and against
   `python -c "import torch, sympy"` alone;
5. --compile: its compile time (cold and warm cache) and the grid size from
   which it pays (left out by --quick and --skip-compile).

Each section ends with the CPU time other processes took while it ran
(/proc/stat less this process and its children). On a 2-core machine that
matters: while another process keeps one core busy, deriv's engine with 2
torch threads (thousands of small parallel regions, each waiting for both
threads) can run 10 to 40 times slower, much more than the naive code (a few
dozen large operations) or one thread. Medians absorb an occasional such
round; "best" columns show the uncontended speed.

--quick (10^6 points, 10^7 for memory, 2 repeats, no --compile section) is a
smoke test of well under a minute; the default run takes a few minutes.
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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import sympy
import torch

from derivcli.core.grid import GridOptions, run_grid
from derivcli.core.numeric.grid import CPU_CHUNK
from derivcli.model.grid import GridReport
from derivcli.model.gridplan import GridChunk, make_grid_plan
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_count, parse_range

Tensor = torch.Tensor
TensorFunction = Callable[[Tensor], Tensor]
WAVE = "sin(x)*exp(-x**2/10) + x**3/100"
RANGE = "x=-10:10"
#: Points per chunk of the hand-written chunked variants: small enough to stay in the cache.
HAND_CHUNK = 2**16


def wave(x: Tensor) -> Tensor:
    """sin(x)*exp(-x**2/10) + x**3/100, as a tutorial writes it."""
    return torch.sin(x) * torch.exp(-(x**2) / 10) + x**3 / 100


def wave_derivative(x: Tensor) -> Tensor:
    """The wave's derivative, written out by hand."""
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
    """10*x**3."""
    return 10 * x**3


def cube_derivative(x: Tensor) -> Tensor:
    """30*x**2."""
    return 30 * x**2


def cube_derivative_in_place(x: Tensor) -> Tensor:
    """30*x**2 with one temporary."""
    return x.square().mul_(30)


def relu(x: Tensor) -> Tensor:
    """relu(x)."""
    return torch.relu(x)


def relu_derivative(x: Tensor) -> Tensor:
    """Heaviside(x) with 1/2 at 0, as SymPy's derivative of relu has it."""
    return torch.heaviside(x, torch.tensor(0.5, dtype=x.dtype))


@dataclass(frozen=True, slots=True)
class Case:
    """An expression as deriv reads it, and the same written by hand in torch."""

    text: str
    function: TensorFunction
    derivative: TensorFunction
    in_place: TensorFunction


CASES = (
    Case(WAVE, wave, wave_derivative, wave_derivative_in_place),
    Case("10*x**3", cube, cube_derivative, cube_derivative_in_place),
    Case("relu(x)", relu, relu_derivative, relu_derivative),
)


def median(values: list[float]) -> float:
    """The median of a list of timings."""
    return statistics.median(values)


def timed(action: Callable[[], object]) -> float:
    """Wall time of one call of ``action``."""
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def cpu_seconds() -> tuple[float, float] | None:
    """Busy CPU seconds of the whole machine so far (None without /proc/stat), and of this process tree."""
    stat = Path("/proc/stat")
    if not stat.exists():
        return None
    # cpu user nice system idle iowait irq softirq steal ...: all but idle and iowait is busy.
    fields = [int(value) for value in stat.read_text().split("\n", 1)[0].split()[1:9]]
    busy = (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    own = os.times()
    return busy, own.user + own.system + own.children_user + own.children_system


@contextmanager
def contention() -> Iterator[None]:
    """Print, after the block, how much CPU other processes took while it ran."""
    before, began = cpu_seconds(), time.perf_counter()
    yield
    after, wall = cpu_seconds(), time.perf_counter() - began
    if before is None or after is None or wall <= 0:
        return
    others = max(0.0, (after[0] - before[0]) - (after[1] - before[1]))
    print(
        f"  other processes meanwhile: {others:.1f} CPU-seconds in {wall:.0f} s"
        f" ({others / wall:.0%} of one core on average)"
    )


def naive(n: int, f: TensorFunction, derivative: TensorFunction) -> float:
    """The tutorial's code on the whole grid at once, plus the hand-written derivative and the comparison."""
    x = torch.linspace(-10, 10, n, dtype=torch.float64, requires_grad=True)
    y = f(x)
    y.sum().backward()
    assert x.grad is not None
    with torch.no_grad():
        d = derivative(x.detach())
        return float((x.grad - d).abs().max())


def chunked(n: int, f: TensorFunction, derivative: TensorFunction | None, size: int = HAND_CHUNK) -> float:
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


def deriv_core(
    text: str, n: int, chunk_size: int | None = None, on_chunk: Callable[[GridChunk], None] | None = None
) -> GridReport:
    """deriv's whole grid core (parse, plan, SymPy, translation, engine) over x in [-10, 10]."""
    plan = make_grid_plan(expression=parse_expression(text), ranges=[parse_range(RANGE)], num=n)
    return run_grid(plan, GridOptions(chunk_size=chunk_size), on_chunk=on_chunk)


def deriv_elapsed(text: str, n: int, chunk_size: int | None = None) -> float:
    """The engine's own seconds (after the symbolic work) for one run of deriv's core."""
    return deriv_core(text, n, chunk_size).elapsed_s


def accuracy(case: Case, n: int) -> tuple[float, float, float, float]:
    """deriv against the hand-written derivative on torch.linspace's points.

    Returns the largest differences of deriv's grid coordinates from linspace's,
    of deriv's symbolic and autograd values from the hand-written derivative,
    and deriv's own largest autograd-symbolic error.
    """
    x = torch.linspace(-10, 10, n, dtype=torch.float64)
    expected = case.derivative(x)
    worst = {"x": 0.0, "symbolic": 0.0, "autograd": 0.0}

    def sink(chunk: GridChunk) -> None:
        """Fold one chunk's differences from the hand-written values in."""
        stop = chunk.start + len(chunk)
        here = {
            "x": (x[chunk.start : stop], torch.from_numpy(chunk.coordinates["x"])),
            "symbolic": (expected[chunk.start : stop], torch.from_numpy(chunk.symbolic["x"])),
            "autograd": (expected[chunk.start : stop], torch.from_numpy(chunk.autograd["x"])),
        }
        for key, (hand, ours) in here.items():
            worst[key] = max(worst[key], float((hand - ours).abs().max()))

    report = deriv_core(case.text, n, on_chunk=sink)
    return worst["x"], worst["symbolic"], worst["autograd"], report.worst("abs")[1]


def compute_section(n: int, repeat: int) -> None:
    """Compute after imports: hand-written variants against deriv's core."""
    print(
        f"\n1. Compute after imports, {n:,} float64 points on [-10, 10], median of {repeat}"
        f" interleaved rounds (seconds)"
    )
    print(
        f"   hand-written chunks: {HAND_CHUNK:,} points; deriv's default chunk: {CPU_CHUNK:,};"
        f" deriv engine = GridReport.elapsed_s, deriv call = wall time of run_grid and its planning"
    )
    names = [
        "naive",
        "chunked autograd",
        "chunked both",
        "chunked in-place",
        "deriv engine",
        "deriv call",
    ]
    widths = [max(len(name), 8) for name in names]
    print(
        f"  {'expression':32} "
        + " ".join(f"{name:>{width}}" for name, width in zip(names, widths, strict=True))
        + "  naive/deriv call  naive/deriv engine  best naive/deriv call"
    )
    for case in CASES:
        variants: dict[str, Callable[[], object]] = {
            "naive": partial(naive, n, case.function, case.derivative),
            "chunked autograd": partial(chunked, n, case.function, None),
            "chunked both": partial(chunked, n, case.function, case.derivative),
            "chunked in-place": partial(chunked, n, case.function, case.in_place),
        }
        times: dict[str, list[float]] = {name: [] for name in names}
        for action in variants.values():
            action()  # warm-up
        deriv_core(case.text, n)  # warm-up
        for _ in range(repeat):
            for name, action in variants.items():
                times[name].append(timed(action))
            began = time.perf_counter()
            engine = deriv_elapsed(case.text, n)
            times["deriv call"].append(time.perf_counter() - began)
            times["deriv engine"].append(engine)
        medians = {name: median(values) for name, values in times.items()}
        cells = " ".join(f"{medians[name]:>{width}.3f}" for name, width in zip(names, widths, strict=True))
        best = min(times["naive"]) / min(times["deriv call"])
        print(
            f"  {case.text:32} {cells}"
            f"  {medians['naive'] / medians['deriv call']:>15.2f}x"
            f"  {medians['naive'] / medians['deriv engine']:>17.2f}x"
            f"  {best:>20.2f}x"
        )
    print("  target: naive/deriv call >= 2x (medians)")
    print("\n   deriv against the hand-written derivative on torch.linspace's points (max abs difference)")
    print(
        f"  {'expression':32} {'x':>9} {'symbolic':>9} {'autograd':>9}  deriv's own max |autograd - symbolic|"
    )
    for case in CASES:
        x_error, symbolic_error, autograd_error, own = accuracy(case, n)
        naive_error = naive(n, case.function, case.derivative)
        print(
            f"  {case.text:32} {x_error:9.2e} {symbolic_error:9.2e} {autograd_error:9.2e}"
            f"  {own:.2e} (naive's max |x.grad - d|: {naive_error:.2e})"
        )


def chunk_section(n: int, repeat: int) -> None:
    """deriv's core by chunk size and thread count, interleaved."""
    print(
        f"\n2. deriv's engine on {WAVE} at {n:,} points by chunk size"
        f" (median of {repeat} interleaved rounds, seconds)"
    )
    sizes = sorted({2**12, 2**14, 2**15, 2**16, 2**17, 2**18, 2**20, 2**22, n, CPU_CHUNK})
    sizes = [size for size in sizes if size <= n]
    deriv_core(WAVE, n)  # warm-up
    times: dict[int, list[float]] = {size: [] for size in sizes}
    for _ in range(repeat):
        for size in sizes:
            times[size].append(deriv_elapsed(WAVE, n, size))
    medians = {size: median(values) for size, values in times.items()}
    default = medians.get(CPU_CHUNK, medians[sizes[-1]])
    for size in sizes:
        label = "whole grid" if size == n else f"2**{size.bit_length() - 1}"
        mark = "  (default)" if size == CPU_CHUNK else ""
        print(
            f"  {label:>10}: {medians[size]:.3f} s  {n / medians[size] / 1e6:6.1f} M points/s"
            f"  {medians[size] / default:.2f}x default's time  (best {min(times[size]):.3f} s){mark}"
        )
    threads = torch.get_num_threads()
    counts = sorted({1, 2, threads})
    by_threads: dict[int, list[float]] = {count: [] for count in counts}
    try:
        for _ in range(repeat):
            for count in counts:
                torch.set_num_threads(count)
                by_threads[count].append(deriv_elapsed(WAVE, n))
    finally:
        torch.set_num_threads(threads)
    one = median(by_threads[1])
    for count in counts:
        value = median(by_threads[count])
        print(
            f"  {count} thread(s), default chunks: {value:.3f} s  ({one / value:.2f}x faster than 1 thread;"
            f" best {min(by_threads[count]):.3f} s, worst {max(by_threads[count]):.3f} s)"
        )


#: Appended to a child's code: print its peak RSS when it ends (atexit: deriv ends with os._exit after
#: running exit handlers). VmHWM, not getrusage's ru_maxrss, which a child inherits across fork and
#: exec: a child of this process would report this process's own peak.
PEAK_PROBE = textwrap.dedent(
    """
    import atexit as _atexit, os as _os, time as _time
    _began = _time.perf_counter()

    def _report_peak():
        with open("/proc/self/status") as status:
            kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
        _os.write(2, f"\\nPEAK_MIB {kib / 1024} WALL_S {_time.perf_counter() - _began}\\n".encode())

    _atexit.register(_report_peak)
    """
)


@dataclass(frozen=True, slots=True)
class ChildRun:
    """A fresh interpreter's stdout, peak RSS, and wall time (from outside, and from its first line)."""

    stdout: str
    peak_mib: float
    wall_s: float
    inside_s: float


def run_child(code: str, argv: list[str] | None = None) -> ChildRun:
    """Run ``code`` in a fresh interpreter (with ``sys.argv`` = ``argv``) and read its peak RSS."""
    prelude = f"import sys as _sys\n_sys.argv = {argv!r}\n" if argv is not None else ""
    began = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE + prelude + code], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - began
    if completed.returncode != 0:
        raise RuntimeError(f"child failed ({completed.returncode}): {completed.stderr[-2000:]}")
    line = next(line for line in completed.stderr.splitlines() if line.startswith("PEAK_MIB"))
    _, peak, _, inside = line.split()
    return ChildRun(completed.stdout, float(peak), wall, float(inside))


def naive_script(n: int) -> str:
    """The naive code for the wave at ``n`` points, as a script (imports torch and sympy first)."""
    return textwrap.dedent(
        f"""
        import sympy
        import torch
        x = torch.linspace(-10, 10, {n}, dtype=torch.float64, requires_grad=True)
        y = torch.sin(x) * torch.exp(-x**2 / 10) + x**3 / 100
        y.sum().backward()
        with torch.no_grad():
            t = x.detach()
            gauss = torch.exp(-t**2 / 10)
            d = 3 * t**2 / 100 - t * gauss * torch.sin(t) / 5 + gauss * torch.cos(t)
            print(float((x.grad - d).abs().max()))
        """
    )


def memory_section(n: int, big: int, naive_big: bool) -> None:
    """Peak memory of whole processes, and the wall time of deriv at ``big`` points."""
    print("\n3. Peak memory (RSS, VmHWM) of fresh interpreters, MiB")
    imports = run_child("import torch, sympy").peak_mib
    print(f"  {'import torch, sympy alone':44} {imports:7.0f}")
    sizes = [n, 10**8] if naive_big and n != 10**8 else [n]
    for size in sizes:
        peak = run_child(naive_script(size)).peak_mib
        print(
            f"  {f'naive hand-written, {size:,} points':44} {peak:7.0f}  ({peak - imports:.0f} above imports)"
        )
    if not naive_big:
        print(f"  {'naive hand-written, 100,000,000 points':44} {'-':>7}  (not run: --naive-1e8 runs it)")
    argv = ["derivcli", "grid", WAVE, "--range", RANGE, "--num", str(big), "--json"]
    run = run_child("import runpy\nrunpy.run_module('derivcli', run_name='__main__', alter_sys=True)", argv)
    document = json.loads(run.stdout)
    print(
        f"  {f'python -m derivcli grid --num {big:,} --json':44} {run.peak_mib:7.0f}"
        f"  ({run.peak_mib - imports:.0f} above imports; target <= 1024)"
    )
    print(
        f"  that run: {run.wall_s:.2f} s wall ({big / run.wall_s / 1e6:.1f} M points/s of the whole process),"
        f" engine {document['elapsed_s']:.2f} s ({document['points_per_s'] / 1e6:.1f} M points/s),"
        f" max abs error {document['max_abs_error']:.2e}"
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
    print(f"\n4. Whole processes at {n:,} points, median of {repeat} interleaved rounds (wall seconds)")
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(HAND_WRITTEN)
    deriv = "python -m derivcli grid --json"
    hand = "hand-written script"
    floor = 'python -c "import torch, sympy"'
    commands = {
        deriv: [sys.executable, "-m", "derivcli", "grid", WAVE, "--range", RANGE, "--num", str(n), "--json"],
        hand: [sys.executable, script.name, str(n)],
        floor: [sys.executable, "-c", "import torch, sympy"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    try:
        for command in commands.values():  # warm-up: page cache, .pyc files
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        for _ in range(repeat):
            for name, command in commands.items():
                began = time.perf_counter()
                subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
                times[name].append(time.perf_counter() - began)
    finally:
        Path(script.name).unlink()
    medians = {name: median(values) for name, values in times.items()}
    for name, value in medians.items():
        spread = f"{min(times[name]):.2f} to {max(times[name]):.2f}"
        print(f"  {name:32}: {value:.2f} s  ({spread}; {value - medians[floor]:+.2f} s above the floor)")
    print(
        f"  deriv / hand-written: {medians[deriv] / medians[hand]:.2f} (target <= 0.85);"
        f" best against best: {min(times[deriv]) / min(times[hand]):.2f}"
    )
    above = medians[hand] - medians[floor]
    if above > 0:
        print(
            f"  above the import floor: deriv / hand-written ="
            f" {(medians[deriv] - medians[floor]) / above:.2f}"
        )


def deriv_json(args: list[str], env: Mapping[str, str] | None = None) -> dict[str, object]:
    """``python -m derivcli grid ARGS --json`` in a fresh interpreter; its JSON document."""
    completed = subprocess.run(
        [sys.executable, "-m", "derivcli", "grid", *args, "--json"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    document: dict[str, object] = json.loads(completed.stdout)
    return document


def compiled_elapsed(n: int, cache: str) -> float:
    """The engine seconds of ``deriv grid --compile`` at ``n`` points with an inductor cache directory."""
    document = deriv_json(
        [WAVE, "--range", RANGE, "--num", str(n), "--compile"], env={"TORCHINDUCTOR_CACHE_DIR": cache}
    )
    elapsed = document["elapsed_s"]
    assert isinstance(elapsed, float)
    return elapsed


def compile_section(repeat: int) -> None:
    """What --compile costs and where it pays: elapsed = compile + points * per-point time."""
    print(f"\n5. --compile on {WAVE} (engine seconds, median of {repeat} interleaved rounds)")
    small, large = 2**20, 2**24
    sizes = (small, large)
    deriv_core(WAVE, small)  # warm-up
    eager_times: dict[int, list[float]] = {size: [] for size in sizes}
    compiled_times: dict[int, list[float]] = {size: [] for size in sizes}
    with tempfile.TemporaryDirectory() as cache:
        cold = compiled_elapsed(small, cache)
        for _ in range(repeat):  # interleaved: eager in this process, compiled in fresh ones
            for size in sizes:
                eager_times[size].append(deriv_elapsed(WAVE, size))
                compiled_times[size].append(compiled_elapsed(size, cache))
    eager = {size: median(values) for size, values in eager_times.items()}
    compiled_small, compiled_large = median(compiled_times[small]), median(compiled_times[large])
    per_point_eager = (eager[large] - eager[small]) / (large - small)
    per_point_compiled = (compiled_large - compiled_small) / (large - small)
    warm_overhead = compiled_small - per_point_compiled * small
    cold_overhead = cold - per_point_compiled * small
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


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, or '?' where the system has none."""
    if not hasattr(os, "getloadavg"):
        return "?"
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> str:
    """CPU model, cores, load, torch, sympy and Python versions, torch's threads."""
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = load_average()
    return (
        f"{model}, {os.cpu_count()} cores (load average {load});"
        f" torch {torch.__version__} with {torch.get_num_threads()} threads; sympy {sympy.__version__};"
        f" Python {platform.python_version()}"
    )


def main() -> None:
    """Run every section and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", help="grid size for compute and process timings [1e7; --quick: 1e6]")
    parser.add_argument("--big", help="grid size of deriv's memory measurement [1e8; --quick: 1e7]")
    parser.add_argument("--repeat", type=int, help="rounds per measurement [5; --quick: 2]")
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 repeats, no --compile section")
    parser.add_argument(
        "--naive-1e8", action="store_true", help="also measure the naive code's memory at 1e8"
    )
    parser.add_argument("--skip-compile", action="store_true", help="leave out the --compile section")
    args = parser.parse_args()
    n = parse_count(args.points or ("1e6" if args.quick else "1e7"), option="--points")
    big = parse_count(args.big or ("1e7" if args.quick else "1e8"), option="--big")
    repeat = args.repeat or (2 if args.quick else 5)
    print(machine())
    sections: list[Callable[[], None]] = [
        partial(compute_section, n, repeat),
        partial(chunk_section, n, repeat),
        partial(memory_section, n, big, args.naive_1e8),
        partial(process_section, n, repeat),
    ]
    if not (args.quick or args.skip_compile):
        sections.append(partial(compile_section, repeat))
    for section in sections:
        with contention():
            section()
    if args.quick or args.skip_compile:
        print("\n5. --compile: left out (--quick or --skip-compile)")
    print(f"\nload average at the end: {load_average()}")


if __name__ == "__main__":
    main()
