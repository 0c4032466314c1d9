"""``--bits`` in words: the cells of the bits columns, and the sentence naming the culprit and the fixes."""

from __future__ import annotations

from collections.abc import Sequence

from derivcli.model.bits import Bits, Rewrite
from derivcli.render.numbers import format_float


def bits_cell(bits: float | None) -> str:
    """Bits of error to one decimal; a dash where there is no exact number to count to."""
    return "-" if bits is None else f"{bits:.1f}"


def explanation(bits: Bits | None, rewrites: Sequence[Rewrite] | None) -> str | None:
    """Where autograd loses its bits and which rewrites lose fewer, as one sentence (None: nothing to say)."""
    if bits is None:
        return None
    parts = []
    culprit = bits.culprit
    if culprit is not None:
        parts.append(
            f"autograd loses {bits_cell(bits.autograd)} bits; the worst operation is {culprit.operation}"
            f" ({culprit.kind.value}, {culprit.pass_.value} through {culprit.node},"
            f" {culprit.local_bits:.1f} bits lost there alone)"
        )
    if rewrites:
        listed = ", ".join(_rewrite_text(rewrite) for rewrite in rewrites)
        parts.append(f"fewer bits lost by {listed}")
    return "; ".join(parts) or None


def _rewrite_text(rewrite: Rewrite) -> str:
    """One rewrite: 'softplus(x) (0.0 bits, autograd 1)'."""
    where = f", for {rewrite.where}" if rewrite.where else ""
    return f"{rewrite.expression} ({rewrite.bits:.1f} bits, autograd {format_float(rewrite.autograd)}{where})"
