"""Keeping what SymPy and torch leave on import out of the garbage collector's full passes.

Importing both leaves some 200,000 objects that live as long as the process;
every full collection walks them all (about 0.1 s here). In a worker that
made the first hundred lines of a batch cost three times the rest; in the
parent of several workers, which imports both before forking them, it cut
the rate with two workers by a third. Frozen, they are never walked again
(and the children's copies of their pages stay shared); objects made later
are collected as usual. This module imports neither SymPy nor torch.
"""

from __future__ import annotations

import gc
import sys
from typing import Final

#: The libraries whose import leaves objects that live as long as the process.
HEAVY_MODULES: Final = ("sympy", "torch")

#: The heavy libraries loaded when this process (or the one it was forked from) last froze.
_frozen_with: set[str] = set()


def freeze_libraries() -> bool:
    """Freeze what is alive if a heavy library was imported since the last freeze; True when it froze."""
    loaded = {name for name in HEAVY_MODULES if name in sys.modules}
    if loaded == _frozen_with:
        return False
    # The young garbage goes first (a full pass would cost what freezing saves): what is frozen is never
    # collected, so the cycles left in the old generation, a few thousand objects once, stay.
    gc.collect(1)
    gc.freeze()
    _frozen_with.clear()
    _frozen_with.update(loaded)
    return True
