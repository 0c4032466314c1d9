"""What --bits costs: one point, warm, in one process, against the same command without it.

Run: python bench/bits.py [--repeat N]

For each case it runs deriv's whole core for ``deriv eval`` (parse, plan,
SymPy, exact values, autograd, comparison) with and without ``--bits``, at a
point that moves a little on every repeat (so that nothing computed for one
point is reused at the next; what depends only on the expression is, as in a
batch), and prints the median of each and their ratio against the target of
at most 3x. The cases are one where nothing is lost and three where autograd
loses everything, so the culprit search and the rewrites run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from fractions import Fraction

from derivcli.core.compare import Options, compare
from derivcli.model.plan import make_plan
from derivcli.model.setup import DType, Mode, Setup
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point

TARGET = 3.0

#: (expression, first point, step between repeats, dtype).
CASES = (
    ("6*x**2+2*x+4", "3", "1/1000", DType.float64),
    ("(exp(x)-1)/x", "1e-4", "1e-8", DType.float32),
    ("log(1+exp(x))", "100", "1/100", DType.float32),
    ("sqrt(x*x+1)", "1e20", "1e16", DType.float32),
)


def _seconds(expression: str, at: str, *, dtype: DType, bits: bool) -> float:
    """One run of the core at one point."""
    began = time.perf_counter()
    plan = make_plan(
        mode=Mode.EVAL,
        expression=parse_expression(expression),
        points=[parse_point(f"x={at}")],
        wrt=(),
        order=1,
    )
    report = compare(plan, Options(setup=Setup(dtype=dtype), bits=bits))
    elapsed = time.perf_counter() - began
    assert (report.points[0].derivatives["x"].bits is not None) == bits
    return elapsed


def main() -> None:
    """Print the median time with and without --bits, and their ratio, for each case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    worst = 0.0
    for expression, first, step, dtype in CASES:
        points = [str(Fraction(first) + index * Fraction(step)) for index in range(args.repeat + 1)]
        # Warm: the first point pays for imports and for what depends only on the expression.
        _seconds(expression, points[0], dtype=dtype, bits=True)
        # Interleaved, so that drift in the machine's speed falls on both alike.
        pairs = [
            (
                _seconds(expression, at, dtype=dtype, bits=False),
                _seconds(expression, at, dtype=dtype, bits=True),
            )
            for at in points[1:]
        ]
        without = statistics.median(first for first, _ in pairs)
        with_bits = statistics.median(second for _, second in pairs)
        ratio = with_bits / without
        worst = max(worst, ratio)
        print(
            f"{expression:>16} at {first} ({dtype}): {without * 1e3:7.2f} ms without --bits,"
            f" {with_bits * 1e3:7.2f} ms with: {ratio:4.2f}x"
        )
    verdict = "meets" if worst <= TARGET else "misses"
    print(f"largest ratio {worst:.2f}x: {verdict} the target of at most {TARGET:g}x")


if __name__ == "__main__":
    main()
