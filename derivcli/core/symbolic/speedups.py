"""Two of SymPy's steps on new numbers made cheaper, with the same results: for deriv's own processes.

Substituting a point builds new rationals at every node (``3*x`` at
``x = 151/250`` is ``453/250``), and SymPy's functions ask each new number
its sign (``sin(-a)`` is ``-sin(a)``). The first question asked of any
SymPy object copies its class's facts, and that copy deduces every fact
again from scratch; then the sign is found by evaluating the number in
floating point. On a line of ``deriv batch`` the two cost about a tenth of
the time.

- :func:`_copy_facts`: a fact base is closed under deduction (it only ever
  grows by deducing), so deducing it again adds nothing: a copy of the
  dictionary is the same copy.
- :func:`_rational_could_extract_minus_sign`: a rational is negative exactly
  when its numerator is.

:func:`install` applies them where this SymPy has the internals they
replace and they agree with SymPy's own results; it is called by the
worker that answers ``deriv batch``, never on import, so a program that
imports deriv keeps its SymPy as it was.
"""

from __future__ import annotations

import threading
from typing import Any, Final

import sympy
from sympy.core.assumptions import StdFactKB

_INSTALLED: list[bool] = []
_LOCK: Final = threading.Lock()


def install() -> bool:
    """Apply both speed-ups once, if this SymPy's internals are those they replace; True when applied."""
    with _LOCK:
        if not _INSTALLED:
            _INSTALLED.append(_install())
        return _INSTALLED[0]


def _install() -> bool:
    original_copy = StdFactKB.__dict__.get("copy")
    if original_copy is None or not _copies_agree(original_copy):
        return False
    if "could_extract_minus_sign" in sympy.Rational.__dict__:
        return False  # SymPy has its own for rationals: nothing to replace
    StdFactKB.copy = _copy_facts
    sympy.Rational.could_extract_minus_sign = _rational_could_extract_minus_sign
    return True


def _copies_agree(original_copy: Any) -> bool:
    """True when the dictionary copy equals SymPy's own copy for the fact bases deriv's numbers use."""
    samples = [
        sympy.Rational.default_assumptions,
        sympy.Integer.default_assumptions,
        sympy.Symbol("x", real=True)._assumptions,
        sympy.sin(sympy.Rational(3, 7))._assumptions,
    ]
    for facts in samples:
        if not (isinstance(facts, StdFactKB) and hasattr(facts, "rules") and hasattr(facts, "_generator")):
            return False
        theirs, ours = original_copy(facts), _copy_facts(facts)
        if dict(theirs) != dict(ours) or theirs.generator != ours.generator or theirs.rules is not ours.rules:
            return False
    return True


def _copy_facts(self: StdFactKB) -> StdFactKB:
    """StdFactKB.copy without deducing again what the base already holds."""
    copy = dict.__new__(type(self))
    dict.update(copy, self)
    copy.rules = self.rules
    copy._generator = self._generator.copy()
    return copy


def _rational_could_extract_minus_sign(self: sympy.Rational) -> bool:
    """Number.could_extract_minus_sign for a rational: its sign, read from the numerator."""
    return bool(self.p < 0)
