"""--bits in words under the table."""

from __future__ import annotations

from derivcli.model.bits import Bits, Culprit, LossKind, Pass, Rewrite
from derivcli.render.bits import bits_cell, explanation


def test_cells() -> None:
    assert (bits_cell(None), bits_cell(30.96), bits_cell(0.0)) == ("-", "31.0", "0.0")


def test_explanation_names_the_culprit_and_the_fixes() -> None:
    bits = Bits(32.0, 32.0, Culprit("exp(x)", LossKind.OVERFLOW, "ExpBackward0", 32.0, Pass.FORWARD))
    text = explanation(bits, (Rewrite("softplus(x)", 1.0, 0.0), Rewrite("1 + x/2", 0.5, 0.0, "|x| < 0.001")))
    assert text == (
        "autograd loses 32.0 bits; the worst operation is exp(x) (overflow, forward through ExpBackward0,"
        " 32.0 bits lost there alone); fewer bits lost by softplus(x) (0.0 bits, autograd 1.0),"
        " 1 + x/2 (0.0 bits, autograd 0.5, for |x| < 0.001)"
    )


def test_nothing_to_say() -> None:
    assert explanation(None, None) is None
    assert explanation(Bits(0.0, 0.0, None), ()) is None
