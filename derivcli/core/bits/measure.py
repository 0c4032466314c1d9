"""``--bits`` at one point: both witnesses' bits of error, the culprit operation, and rewrites that help.

The reference is the exact derivative at the point autograd ran at (the point
rounded to the dtype), rounded once to the dtype: bits lost to rounding the
point itself are not the computation's, and no rewrite could win them back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import sympy
import torch

from derivcli.core.bits.local import local_errors, reference, worst
from derivcli.core.bits.rewrites import candidates
from derivcli.core.bits.series import series_branch
from derivcli.core.numeric.autograd import autograd_at_points
from derivcli.core.numeric.device import DTYPES
from derivcli.core.numeric.parts import TorchFunction
from derivcli.core.numeric.sympy_translate import compile_expression
from derivcli.core.numeric.translate import compile_tree
from derivcli.core.symbolic.budget import OutOfTimeError, time_budget
from derivcli.core.symbolic.build import SymbolicExpression, build
from derivcli.core.symbolic.exact import rational_of_float, substituted
from derivcli.errors import DerivError
from derivcli.model.bits import (
    MEASURABLE_SAVING,
    NEGLIGIBLE_BITS,
    Bits,
    Culprit,
    Rewrite,
    bits_between,
    shown_bits,
)
from derivcli.model.plan import derivative_key
from derivcli.parsing.tree import ParsedExpression
from derivcli.worker.cache import sized_cache

#: Seconds the search for the culprit may take at one point.
CULPRIT_SECONDS: Final = 2.0
#: Seconds proving one rewrite equal may take.
PROOF_SECONDS: Final = 2.0
#: Digits at which a rewrite and the original must agree on every sample point.
PROOF_DIGITS: Final = 50
#: Sample values of the variables for the proof (the i-th variable starts i places along).
PROOF_SAMPLES: Final = ("-5/2", "-3/4", "3/10", "17/10", "31/10")


@dataclass(frozen=True, slots=True)
class Measured:
    """The bits of one derivative at one point, and the rewrites that lose fewer."""

    bits: Bits
    rewrites: tuple[Rewrite, ...]


def measure(
    *,
    parsed: ParsedExpression,
    built: SymbolicExpression,
    variables: Sequence[str],
    derivative: sympy.Expr,
    key: tuple[str, ...],
    at: Mapping[str, float],
    autograd: float,
    dtype: str,
    device: str,
) -> Measured:
    """Bits of autograd and of the symbolic derivative in the dtype at ``at`` (a point of the dtype)."""
    exact_point = {built.symbols[name]: rational_of_float(value) for name, value in at.items()}
    target = reference(substituted(derivative, exact_point), dtype)
    if target is None:
        # Undefined, complex or a Dirac delta: there is no number to count floats to.
        return Measured(Bits(None, None, None), ())
    autograd_bits = bits_between(autograd, target.rounded, dtype, exact_is_number=target.is_number)
    symbolic = symbolic_in_dtype(derivative, at, dtype=dtype, device=device)
    symbolic_bits = bits_between(symbolic, target.rounded, dtype, exact_is_number=target.is_number)
    culprit: Culprit | None = None
    rewrites: tuple[Rewrite, ...] = ()
    if autograd_bits >= NEGLIGIBLE_BITS:
        culprit = _culprit(parsed, built, exact_point, key=key, dtype=dtype, device=device)
        rewrites = _rewrites(
            parsed,
            built,
            variables,
            key=key,
            at=at,
            exact_point=exact_point,
            dtype=dtype,
            device=device,
            target=target.rounded,
            exact_is_number=target.is_number,
            autograd_bits=autograd_bits,
        )
    return Measured(Bits(shown_bits(autograd_bits), shown_bits(symbolic_bits), culprit), rewrites)


@sized_cache(lambda expr: len(str(expr)))
def _compiled(expr: sympy.Expr) -> TorchFunction:
    """The symbolic derivative translated to torch (cached: a batch asks again at new points)."""
    return compile_expression(expr)


def symbolic_in_dtype(expr: sympy.Expr, at: Mapping[str, float], *, dtype: str, device: str) -> float:
    """SymPy's derivative computed in the dtype, by torch, without autograd."""
    env = {name: torch.tensor([value], dtype=DTYPES[dtype], device=device) for name, value in at.items()}
    with torch.no_grad():
        result = _compiled(expr)(env)
    return float(result.reshape(-1)[0])


def _culprit(
    parsed: ParsedExpression,
    built: SymbolicExpression,
    exact_point: Mapping[sympy.Symbol, sympy.Expr],
    *,
    key: tuple[str, ...],
    dtype: str,
    device: str,
) -> Culprit | None:
    """The operation with the largest local error, when it loses at least a bit (None past the budget)."""
    try:
        with time_budget(CULPRIT_SECONDS):
            errors = local_errors(
                parsed,
                symbols=built.symbols,
                point=exact_point,
                dtype=dtype,
                device=device,
                # The backward operations are those of a first derivative: higher ones differentiate again.
                wrt=key[0] if len(key) == 1 else None,
            )
    except (OutOfTimeError, ArithmeticError, ValueError, TypeError, DerivError):
        return None
    found = worst(errors)
    return found.culprit if found is not None and found.bits >= 1 else None


def _rewrites(
    parsed: ParsedExpression,
    built: SymbolicExpression,
    variables: Sequence[str],
    *,
    key: tuple[str, ...],
    at: Mapping[str, float],
    exact_point: Mapping[sympy.Symbol, sympy.Expr],
    dtype: str,
    device: str,
    target: float,
    exact_is_number: bool,
    autograd_bits: float,
) -> tuple[Rewrite, ...]:
    """The proved rewrites whose autograd derivative loses measurably fewer bits here, best first."""
    tried: list[tuple[ParsedExpression, str | None]] = [
        (item, None) for item in proved_rewrites(parsed, tuple(variables))
    ]
    if len(variables) == 1 and len(key) == 1:
        symbol = built.symbols[variables[0]]
        branch = series_branch(built.expr, symbol, exact_point[symbol], dtype)
        if branch is not None:
            tried.append((branch.expression, branch.where))
    found = []
    for candidate, where in tried:
        try:
            values = autograd_at_points(
                compile_tree(candidate),
                variables=variables,
                wrt=tuple(dict.fromkeys(key)),
                points=[at],
                device=device,
                dtype=dtype,
                derivatives=(key,),
            )
        except (DerivError, RuntimeError):
            continue
        value = values.gradients[derivative_key(key)][0]
        bits = bits_between(value, target, dtype, exact_is_number=exact_is_number)
        if bits <= autograd_bits - MEASURABLE_SAVING:
            found.append(Rewrite(candidate.text, value, shown_bits(bits), where))
    return tuple(sorted(found, key=lambda rewrite: (rewrite.bits, len(rewrite.expression))))


@sized_cache(lambda parsed, variables: len(parsed.text))
def proved_rewrites(parsed: ParsedExpression, variables: tuple[str, ...]) -> tuple[ParsedExpression, ...]:
    """The table's rewrites of the expression that are equal to it at 50 digits on every sample point."""
    return tuple(candidate for candidate in candidates(parsed) if _equal(parsed, candidate, variables))


def _equal(original: ParsedExpression, candidate: ParsedExpression, variables: tuple[str, ...]) -> bool:
    """True when both agree to 50 digits wherever either is real, on at least three sample points."""
    try:
        with time_budget(PROOF_SECONDS):
            left = build(original, extra_variables=variables)
            right = build(candidate, extra_variables=variables)
            agreeing = 0
            for shift in range(len(PROOF_SAMPLES)):
                point = {
                    symbol: sympy.Rational(PROOF_SAMPLES[(shift + index) % len(PROOF_SAMPLES)])
                    for index, symbol in enumerate(left.symbols.values())
                }
                want = left.expr.evalf(PROOF_DIGITS, subs=point)
                got = right.expr.xreplace({right.symbols[s.name]: v for s, v in point.items()}).evalf(
                    PROOF_DIGITS
                )
                if want.is_real is not True or got.is_real is not True:
                    if want.is_real or got.is_real:
                        return False
                    continue
                if abs(want - got) > sympy.Float(10) ** (10 - PROOF_DIGITS) * max(1, abs(want)):
                    return False
                agreeing += 1
            return agreeing >= 3
    except (OutOfTimeError, ArithmeticError, ValueError, TypeError, DerivError):
        return False
