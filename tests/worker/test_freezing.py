"""What SymPy and torch leave on import is frozen once per library, and nothing else is."""

from __future__ import annotations

import subprocess
import sys


def test_a_process_freezes_once_for_each_heavy_library_it_imports() -> None:
    # Run apart: freezing is for the whole process.
    script = (
        "import gc\n"
        "from derivcli.worker.freezing import freeze_libraries\n"
        "first = freeze_libraries()\n"
        "import sympy\n"
        "second = freeze_libraries()\n"
        "frozen = gc.get_freeze_count()\n"
        "print(first, second, frozen > 10000, freeze_libraries())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "True", "True", "False"], done.stderr
