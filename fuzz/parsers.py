"""Fuzz the expression and point parsers with Hypothesis-generated text.

Run from the repository root, in the project's virtual environment::

    python fuzz/parsers.py --minutes 10              # the documented run
    python fuzz/parsers.py --minutes 1 --seed 7      # another fixed seed
    python fuzz/parsers.py --max-inputs 20000        # a quick check

(Hypothesis drives the inputs, with its shrinking turned off and a fixed seed
per round; atheris would need a compiler toolchain to install.) Each input goes through
:func:`derivcli.parsing.grammar.parse_expression` and :func:`derivcli.parsing.points.parse_point`.
Inputs are a mix of

* text over a grammar-biased alphabet of tokens (``sin(``, ``**``, ``^``, ``e``, ``__``, ``lambda``, ...),
* arbitrary Unicode (surrogates included) and byte strings read as Latin-1 or UTF-8,
* valid expressions, fixed or generated, mutated by inserting, deleting,
  duplicating and swapping characters.

A finding is

* ``exception``: anything raised other than :class:`~derivcli.errors.DerivError`;
* ``slow``: a single parse that took longer than ``--slow`` seconds (default 1);
* ``hang``: a single parse still running after ``--hang`` seconds (it is interrupted);
* ``round-trip``: an accepted expression whose :func:`~derivcli.parsing.tree.node_text`
  does not parse back to the same tree.

Each finding is printed when found (the input's repr and the traceback), the
run goes on, and the end prints how many inputs were tried, inputs per
second, and every distinct finding, with its input shrunk by deleting
characters while the same finding still occurs.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from derivcli.errors import DerivError
from derivcli.parsing.grammar import FUNCTION_ARITY, parse_expression
from derivcli.parsing.points import parse_point
from derivcli.parsing.tree import Call, Negate, Node, Power, Product, Sum, node_text

#: Valid expressions and points to mutate.
CORPUS: tuple[str, ...] = (
    "6*x**2+2*x+4",
    "6x^2 + 2x + 4",
    "3(x+1)",
    "2sin(x)",
    "2pi*r",
    "u*v + (u*v)**2",
    "-x**2",
    "+x",
    "1.5e-3*x + .5 + 2.",
    "atan2(y, x)",
    "log(x, 2) + log(x)",
    "max(a, b, c) + min(a, b)",
    "heaviside(x) + relu(x) + sigmoid(x) + softplus(x) + erf(x) + abs(x)",
    "x\u2212y \u00d7 z \u00b7 w",
    "x\u00b2 + y\u00b3",
    "pi + E + e",
    "1_000 * x",
    "sqrt(x)**2",
    "x**y**z",
    "(-x)**2",
    "2**(x + 1)",
    "sin(x)*exp(-x**2/10) + x**3/100",
    "x=3",
    "u=1,v=2",
    "x=pi/4",
    "-1e-3",
    "sqrt(2)",
    "9**9**9",
    "1e308*10",
    "asin(x) + acos(x) + atan(x) + sinh(x) + cosh(x) + tanh(x) + asinh(x) + acosh(x) + atanh(x)",
)

GRAMMAR_TOKENS: tuple[str, ...] = (
    "x", "y", "u", "v", "sin(", "cos(", "log(", "max(", "atan2(", "sqrt(", "exp(", "(", ")", "+", "-",
    "*", "/", "**", "^", ".", "e", "E", "pi", "1", "0", "2", "9", ",", "=", "_", "__", "[", "]", "{",
    "}", "'", '"', ":", ";", "lambda", "if", "else", "not", "and", "for", "in", "await", " ", "\t",
    "\n", "\u2212", "\u00d7", "\u00b7", "\u22c5", "\u00b2", "\u00b3", "\u0445", "\x00", "1e", "e-",
    "e+", "0x", "0b", "0o", "j", "J", "%", "//", "@", "~", "<", ">", "==", "!", "|", "&", "<<", "`",
    "\\", "#", "$", "?", "inf", "nan", "oo", "zoo", "1_", "_1", "9" * 30, "e999999", "1e-400",
    "__import__", "os", ".real", "[0]", "f'", "b'", "...", "None", "True", ":=", "*x", "**{}", "x=",
    ",x=", "(" * 8, ")" * 8, "-" * 8, "**" * 4,
)  # fmt: skip


def _valid_expressions() -> st.SearchStrategy[str]:
    """Well-formed expressions, fully parenthesised, for mutation."""
    names = sorted(FUNCTION_ARITY)
    leaves = st.sampled_from(["x", "y", "pi", "E", "e", "2", "0.5", "1e-3", "3.", "7_0", "2x", "3pi"])

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        def call(name: str, args: list[str]) -> str:
            return f"{name}({', '.join(args)})"

        return st.one_of(
            st.builds(lambda a, op, b: f"({a}){op}({b})", children, st.sampled_from("+-*/^"), children),
            st.builds(lambda a, b: f"({a})**({b})", children, children),
            children.map(lambda a: f"-({a})"),
            st.sampled_from(names).flatmap(
                lambda name: st.lists(
                    children,
                    min_size=FUNCTION_ARITY[name][0],
                    max_size=FUNCTION_ARITY[name][1] or FUNCTION_ARITY[name][0] + 2,
                ).map(lambda args: call(name, args))
            ),
        )

    return st.one_of(st.sampled_from(CORPUS), st.recursive(leaves, extend, max_leaves=10))


VALID = _valid_expressions()
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
INSERTED = st.one_of(st.sampled_from(GRAMMAR_TOKENS), ANY_CHARACTER)
EDITS = st.sampled_from(["insert", "delete", "duplicate", "swap", "replace"])


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid expression with a few random edits."""
    text = draw(VALID)
    characters = INSERTED
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        edit = draw(EDITS)
        position = draw(st.integers(min_value=0, max_value=len(text)))
        if edit == "insert":
            text = text[:position] + draw(characters) + text[position:]
        elif edit == "replace" and position < len(text):
            text = text[:position] + draw(characters) + text[position + 1 :]
        elif edit == "delete" and text:
            end = draw(st.integers(min_value=position, max_value=min(len(text), position + 3)))
            text = text[:position] + text[end:]
        elif edit == "duplicate" and text:
            end = draw(st.integers(min_value=position, max_value=len(text)))
            text = text[:end] + text[position:end] + text[end:]
        elif edit == "swap" and position + 1 < len(text):
            text = text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    return text


def inputs() -> st.SearchStrategy[str]:
    """Every kind of fuzz input."""
    return st.one_of(
        st.lists(st.sampled_from(GRAMMAR_TOKENS), max_size=40).map("".join),
        mutated(),
        mutated(),
        st.text(max_size=60),
        st.text(alphabet=ANY_CHARACTER, max_size=60),
        st.binary(max_size=60).map(lambda data: data.decode("latin-1")),
        st.binary(max_size=60).map(lambda data: data.decode("utf-8", errors="surrogateescape")),
    )


class HangError(BaseException):
    """Raised by the alarm inside a parse that runs too long (BaseException: parsers must not catch it)."""


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Interrupt the body with HangError after ``seconds``."""

    def ring(signum: int, frame: FrameType | None) -> None:
        raise HangError

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _shape(node: object) -> object:
    """A tree without columns and source texts."""
    if isinstance(node, tuple):
        return tuple(_shape(item) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = [field.name for field in dataclasses.fields(node) if field.name not in ("column", "text")]
        return (type(node).__name__, *(_shape(getattr(node, name)) for name in fields))
    return node


def _flat(node: Node) -> Node:
    """The tree with a sum that starts with a sum (a product with a product) merged into one chain.

    Before 2425c56 the parser built that nesting through a unary plus, ``+(x*y)*z``,
    which node_text prints as ``(x*y)*z``: the same value, evaluated in the same
    order, but a flat product once parsed again. Such a round-trip finding is
    labelled apart from any other.
    """
    if isinstance(node, Negate):
        return Negate(_flat(node.operand), node.column)
    if isinstance(node, Power):
        return Power(_flat(node.base), _flat(node.exponent), node.column, node.text)
    if isinstance(node, Call):
        return Call(node.name, tuple(_flat(arg) for arg in node.args), node.column)
    if isinstance(node, Sum):
        terms = [(flag, _flat(term)) for flag, term in node.terms]
        first = terms[0][1]
        head = list(first.terms) if isinstance(first, Sum) else terms[:1]
        return Sum((*head, *terms[1:]), node.column)
    if isinstance(node, Product):
        factors = [(flag, _flat(factor)) for flag, factor in node.factors]
        first = factors[0][1]
        head = list(first.factors) if isinstance(first, Product) else factors[:1]
        return Product((*head, *factors[1:]), node.column)
    return node


class RoundTripError(Exception):
    """node_text of an accepted expression does not parse back to the same tree."""

    def __init__(self, message: str, *, unary_plus_nesting: bool = False) -> None:
        super().__init__(message)
        #: True when the trees differ only by a chain nested through a unary plus (same value).
        self.unary_plus_nesting = unary_plus_nesting


def _expression_round_trip(text: str) -> None:
    parsed = parse_expression(text)
    printed = node_text(parsed.tree)
    try:
        again = parse_expression(printed)
    except DerivError as error:
        raise RoundTripError(f"node_text gave {printed!r}, which is refused: {error}") from None
    if _shape(again.tree) != _shape(parsed.tree):
        nesting = _shape(_flat(again.tree)) == _shape(_flat(parsed.tree))
        raise RoundTripError(
            f"node_text gave {printed!r}, which parses to another tree"
            + (" (differing only by a chain nested through unary plus)" if nesting else ""),
            unary_plus_nesting=nesting,
        )


def _point(text: str) -> None:
    parse_point(text)


TARGETS: tuple[tuple[str, Callable[[str], None]], ...] = (
    ("parse_expression", _expression_round_trip),
    ("parse_point", _point),
)


@dataclasses.dataclass
class Finding:
    """One distinct problem: its kind, where, the first input and a shrunk one."""

    kind: str
    target: str
    signature: str
    text: str
    detail: str
    count: int = 1
    minimal: str | None = None


@dataclasses.dataclass
class Outcome:
    """What one call did: ``accepted`` and ``refused`` (DerivError) are fine, any other kind is a finding."""

    kind: str
    signature: str
    detail: str


FINE = frozenset({"accepted", "refused"})


def run_one(target: Callable[[str], None], text: str, *, slow: float, hang: float) -> Outcome:
    """Call a target once and classify what happened."""
    start = time.perf_counter()
    result = Outcome("accepted", "", "")
    try:
        with alarm(hang):
            target(text)
    except DerivError as error:
        result = Outcome("refused", str(error.kind), "")
    except HangError:
        return Outcome("hang", "hang", f"still running after {hang} s")
    except RoundTripError as error:
        signature = "unary-plus nesting" if error.unary_plus_nesting else "other"
        return Outcome("round-trip", signature, str(error))
    except Exception as error:  # noqa: BLE001 - every other exception is what the fuzzer looks for
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
        return Outcome("exception", f"{type(error).__name__} at {where}", traceback.format_exc())
    elapsed = time.perf_counter() - start
    if elapsed > slow:
        return Outcome("slow", "slow", f"took {elapsed:.3f} s")
    return result


def shrink(target: Callable[[str], None], text: str, outcome: Outcome, *, slow: float, hang: float) -> str:
    """Delete characters (chunks, then single ones) while the same finding occurs."""

    def same(candidate: str) -> bool:
        again = run_one(target, candidate, slow=slow, hang=hang)
        return again.kind == outcome.kind and again.signature == outcome.signature

    deadline = time.monotonic() + 60
    chunk = max(1, len(text) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        index = 0
        while index < len(text) and time.monotonic() < deadline:
            candidate = text[:index] + text[index + chunk :]
            if same(candidate):
                text = candidate
            else:
                index += chunk
        chunk //= 2
    return text


@dataclasses.dataclass
class Stats:
    """Counters of a run."""

    inputs: int = 0
    calls: int = 0
    #: (target, "accepted" or the refusal's error kind) -> count
    results: collections.Counter[tuple[str, str]] = dataclasses.field(default_factory=collections.Counter)
    slowest: float = 0.0
    slowest_input: str = ""
    findings: dict[tuple[str, str, str], Finding] = dataclasses.field(default_factory=dict)


def fuzz_round(stats: Stats, *, round_seed: int, examples: int, slow: float, hang: float) -> None:
    """One Hypothesis run of ``examples`` inputs, generation only (no shrinking, no database)."""

    @seed(round_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs())
    def body(text: str) -> None:
        stats.inputs += 1
        for name, target in TARGETS:
            stats.calls += 1
            start = time.perf_counter()
            outcome = run_one(target, text, slow=slow, hang=hang)
            elapsed = time.perf_counter() - start
            if elapsed > stats.slowest:
                stats.slowest, stats.slowest_input = elapsed, text
            if outcome.kind in FINE:
                stats.results[name, outcome.signature or outcome.kind] += 1
                continue
            key = (outcome.kind, name, outcome.signature)
            if key in stats.findings:
                stats.findings[key].count += 1
                continue
            stats.findings[key] = Finding(outcome.kind, name, outcome.signature, text, outcome.detail)
            print(f"FINDING [{outcome.kind}] {name}({text!r}): {outcome.signature}", flush=True)
            print(outcome.detail, flush=True)

    body()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to fuzz (default 10)")
    parser.add_argument("--max-inputs", type=int, default=None, help="stop after this many inputs")
    parser.add_argument("--seed", type=int, default=0, help="fixed seed; round i uses seed*1000003 + i")
    parser.add_argument("--batch", type=int, default=5000, help="inputs per Hypothesis round")
    parser.add_argument("--slow", type=float, default=1.0, help="flag a parse slower than this (s)")
    parser.add_argument("--hang", type=float, default=30.0, help="interrupt a parse after this (s)")
    args = parser.parse_args(argv)

    stats = Stats()
    began = time.monotonic()
    stop = began + args.minutes * 60
    last_report = began
    round_index = 0
    print(f"fuzzing parse_expression and parse_point for {args.minutes} min, seed {args.seed}", flush=True)
    while time.monotonic() < stop and (args.max_inputs is None or stats.inputs < args.max_inputs):
        examples = args.batch if args.max_inputs is None else min(args.batch, args.max_inputs - stats.inputs)
        fuzz_round(
            stats,
            round_seed=args.seed * 1_000_003 + round_index,
            examples=examples,
            slow=args.slow,
            hang=args.hang,
        )
        round_index += 1
        now = time.monotonic()
        if now - last_report >= 60:
            last_report = now
            rate = stats.inputs / (now - began)
            print(
                f"... {now - began:.0f} s: {stats.inputs:,} inputs ({rate:,.0f}/s), "
                f"{len(stats.findings)} distinct findings",
                flush=True,
            )
    duration = time.monotonic() - began

    for (_, name, _), finding in stats.findings.items():
        target = dict(TARGETS)[name]
        outcome = Outcome(finding.kind, finding.signature, finding.detail)
        finding.minimal = shrink(target, finding.text, outcome, slow=args.slow, hang=args.hang)

    print()
    print(f"duration: {duration:.1f} s in {round_index} rounds (seed {args.seed})")
    print(f"inputs tried: {stats.inputs:,} ({stats.calls:,} parser calls)")
    print(f"inputs per second: {stats.inputs / duration:,.0f}")
    for name, _ in TARGETS:
        counts = {kind: count for (target, kind), count in stats.results.items() if target == name}
        accepted = counts.pop("accepted", 0)
        refusals = ", ".join(
            f"{kind} {count:,}" for kind, count in sorted(counts.items(), key=lambda kv: -kv[1])
        )
        print(f"{name}: accepted {accepted:,}; refused {sum(counts.values()):,} ({refusals})")
    print(f"slowest single call: {stats.slowest * 1000:.2f} ms for {stats.slowest_input[:80]!r}")
    print(f"findings: {len(stats.findings)} distinct")
    for finding in stats.findings.values():
        print(
            f"- [{finding.kind}] {finding.target}: {finding.signature}; seen {finding.count} time(s); "
            f"first input {finding.text!r}; minimal input {finding.minimal!r}"
        )
        if finding.kind != "exception":
            print(f"  {finding.detail}")
    return 1 if stats.findings else 0


if __name__ == "__main__":
    sys.exit(main())
