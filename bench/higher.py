"""Cost of a Hessian and of higher derivatives after imports, against hand-written torch.

Run: python bench/higher.py [--repeat N]

Times, warm and in one process (medians), deriv's whole core for the Hessian
of a 10-variable polynomial at one point (symbolic Hessian, exact values,
autograd by repeated grads, comparison) against
torch.autograd.functional.hessian on the same polynomial written by hand, and
the same for the third derivative of sin(x)*exp(-x**2/10). Both sides' values
are compared.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from derivcli.core.compare import Options, compare
from derivcli.core.jacobian import hessian_matrices
from derivcli.model.eval import Report
from derivcli.model.plan import Mode, make_plan
from derivcli.parsing import parse_expression, parse_point

NAMES = [f"x{index}" for index in range(10)]
POLYNOMIAL = " + ".join(
    [f"{index + 1}*{a}**2*{b}" for index, (a, b) in enumerate(zip(NAMES, NAMES[1:] + NAMES[:1], strict=True))]
    + [f"{a}*{b}*{c}" for a, b, c in zip(NAMES, NAMES[2:], NAMES[4:], strict=False)]
    + ["x0**4"]
)
POINT = [0.1 * (index + 1) for index in range(10)]


def hand_written_polynomial(x: torch.Tensor) -> torch.Tensor:
    """The same polynomial, written with tensor indexing."""
    total = x[0] ** 4
    for index in range(10):
        total = total + (index + 1) * x[index] ** 2 * x[(index + 1) % 10]
    for index in range(6):
        total = total + x[index] * x[index + 2] * x[index + 4]
    return total


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``action``."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def deriv_hessian() -> Report:
    """deriv's core: plan, SymPy, autograd, comparison."""
    at = ",".join(f"{name}={value!r}" for name, value in zip(NAMES, POINT, strict=True))
    plan = make_plan(mode=Mode.HESSIAN, expression=parse_expression(POLYNOMIAL), points=[parse_point(at)])
    return compare(plan, Options())


def torch_hessian() -> torch.Tensor:
    """torch.autograd.functional.hessian, hand-written."""
    point = torch.tensor(POINT, dtype=torch.float64)
    result: torch.Tensor = torch.autograd.functional.hessian(hand_written_polynomial, point)  # type: ignore[no-untyped-call]
    return result


def deriv_third() -> Report:
    """The third derivative through deriv's core."""
    plan = make_plan(
        mode=Mode.EVAL,
        expression=parse_expression("sin(x)*exp(-x**2/10) + x**3/100"),
        points=[parse_point("x=0.5")],
        order=3,
    )
    return compare(plan, Options())


def torch_third() -> float:
    """Three nested torch.autograd.grad calls, hand-written."""
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = torch.sin(x) * torch.exp(-(x**2) / 10) + x**3 / 100
    (first,) = torch.autograd.grad(y, x, create_graph=True)
    (second,) = torch.autograd.grad(first, x, create_graph=True)
    (third,) = torch.autograd.grad(second, x)
    return float(third)


def main() -> None:
    """Time both cases and print medians, ratios and the largest difference of values."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    deriv_hessian(), torch_hessian(), deriv_third(), torch_third()  # warm-up

    (matrix,) = hessian_matrices(deriv_hessian())
    by_hand = torch_hessian()
    difference = max(abs(matrix.autograd[i][j] - float(by_hand[i, j])) for i in range(10) for j in range(10))
    ours, theirs = median_seconds(deriv_hessian, args.repeat), median_seconds(torch_hessian, args.repeat)
    print(
        f"Hessian of a 10-variable polynomial ({len(POLYNOMIAL)} characters), one point,"
        f" median of {args.repeat}:"
    )
    print(f"  torch.autograd.functional.hessian by hand: {theirs * 1e3:.1f} ms")
    print(f"  deriv's core (symbolic Hessian too):       {ours * 1e3:.1f} ms ({ours / theirs:.0f}x)")
    print(
        f"  largest |deriv autograd - hand-written|:    {difference:.3g}; all entries agree: {matrix.agree}"
    )
    third = deriv_third().points[0].derivatives["x,x,x"]
    ours, theirs = median_seconds(deriv_third, args.repeat), median_seconds(torch_third, args.repeat)
    print("Third derivative of sin(x)*exp(-x**2/10) + x**3/100 at x=0.5:")
    print(f"  three nested autograd.grad by hand: {theirs * 1e3:.2f} ms")
    print(f"  deriv's core:                       {ours * 1e3:.2f} ms ({ours / theirs:.0f}x)")
    print(
        f"  |deriv - hand-written|: {abs(third.autograd - torch_third()):.3g};"
        f" agrees with SymPy: {third.agree}"
    )


if __name__ == "__main__":
    main()
