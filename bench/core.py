"""Cost of one `deriv eval` / `deriv partial` after imports, against hand-written torch.

Run: python bench/core.py [--repeat N]

For each case it times, warm and in one process, (a) the hand-written torch
code a user would type (tensor with requires_grad, the expression, backward,
read .grad) and (b) deriv's whole core (parse, plan, SymPy build and diff,
exact values, translation to torch, autograd, comparison), and prints the
median of each, their ratio, and where deriv's time goes. It also checks that
deriv's autograd value is bit-identical to the hand-written one.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import sympy
import torch

from derivcli.core.compare import Options, compare
from derivcli.core.numeric.autograd import autograd_at_points
from derivcli.core.numeric.translate import compile_tree
from derivcli.core.symbolic.build import build, differentiate
from derivcli.core.symbolic.display import display_form
from derivcli.core.symbolic.exact import evaluate_at
from derivcli.model.plan import make_plan
from derivcli.model.setup import Mode
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point

Tensor = torch.Tensor


def hand_written_quadratic() -> float:
    x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    y = 6 * x**2 + 2 * x + 4
    y.backward()
    assert x.grad is not None
    return float(x.grad)


def hand_written_wave() -> float:
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = torch.sin(x) * torch.exp(-(x**2) / 10) + x**3 / 100
    y.backward()
    assert x.grad is not None
    return float(x.grad)


def hand_written_partial() -> float:
    u = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    v = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    f = u * v + u**2
    f.backward()
    assert u.grad is not None
    return float(u.grad)


CASES: list[tuple[Mode, str, str, Callable[[], float], str]] = [
    (Mode.EVAL, "6*x**2+2*x+4", "x=3", hand_written_quadratic, "x"),
    (Mode.EVAL, "sin(x)*exp(-x**2/10) + x**3/100", "x=0.5", hand_written_wave, "x"),
    (Mode.PARTIAL, "u*v+u**2", "u=1,v=2", hand_written_partial, "u"),
]


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    """Median wall time of one call, after one warm-up call."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def deriv_core(mode: Mode, text: str, at: str) -> float:
    plan = make_plan(mode=mode, expression=parse_expression(text), points=[parse_point(at)])
    report = compare(plan, Options())
    return next(iter(report.points[0].derivatives.values())).autograd


def stages(text: str, repeat: int) -> dict[str, float]:
    """Median time of each stage of the core for one expression at its first variable = 1/2."""
    parsed = parse_expression(text)
    built = build(parsed)
    name = parsed.variables[0]
    x = built.symbols[name]
    derivative = differentiate(built.expr, x)
    function = compile_tree(parsed)
    point = {symbol: sympy.Rational(1, 2) for symbol in built.symbols.values()}
    floats = {symbol.name: 0.5 for symbol in built.symbols.values()}
    names = list(built.symbols)
    return {
        "parse": median_seconds(lambda: parse_expression(text), repeat),
        "sympy build": median_seconds(lambda: build(parsed), repeat),
        "diff": median_seconds(lambda: differentiate(built.expr, x), repeat),
        "display form": median_seconds(lambda: display_form(derivative), repeat),
        "exact value": median_seconds(lambda: evaluate_at(derivative, point), repeat),
        "torch translation": median_seconds(lambda: compile_tree(parsed), repeat),
        "autograd": median_seconds(
            lambda: autograd_at_points(
                function, variables=names, wrt=[name], points=[floats], device="cpu", dtype="float64"
            ),
            repeat,
        ),
    }


def main() -> None:
    """Print the table of medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)  # one point: threads only add overhead
    print(f"torch {torch.__version__}, sympy {sympy.__version__}, {args.repeat} repeats, medians")
    print(f"{'expression':36} {'hand-written':>13} {'deriv core':>11} {'ratio':>7}  same value")
    for mode, text, at, baseline, _ in CASES:
        base = median_seconds(baseline, args.repeat)
        ours = median_seconds(lambda m=mode, t=text, a=at: deriv_core(m, t, a), args.repeat)
        same = deriv_core(mode, text, at) == baseline()
        print(f"{text:36} {base * 1e3:10.3f} ms {ours * 1e3:8.2f} ms {ours / base:6.0f}x  {same}")
    print()
    for _, text, _, _, _ in CASES:
        parts = stages(text, args.repeat)
        total = sum(parts.values())
        detail = ", ".join(f"{stage} {seconds * 1e3:.2f}" for stage, seconds in parts.items())
        print(f"{text}: {detail} (ms; sum {total * 1e3:.2f} ms)")


if __name__ == "__main__":
    main()
