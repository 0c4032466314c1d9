"""Shell completion scripts for deriv, generated from the app (as ``completions/`` ships them).

Run ``python -m derivcli.completion`` to regenerate ``completions/``; a test
fails when the files there drift from what this module generates. The
scripts call ``deriv`` back with ``_DERIV_COMPLETE`` set, which answers from
the command-line definition alone: neither torch nor SymPy is imported.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from typer._completion_shared import get_completion_script

#: Shell, and the file name its completion script has in ``completions/`` and in an installed wheel.
FILES: Final = {"bash": "deriv.bash", "zsh": "_deriv", "fish": "deriv.fish"}


def completion_script(shell: str) -> str:
    """The completion script of ``deriv`` for ``shell`` (bash, zsh or fish)."""
    return (
        get_completion_script(prog_name="deriv", complete_var="_DERIV_COMPLETE", shell=shell).rstrip() + "\n"
    )


def write_all(folder: Path) -> list[Path]:
    """Write every shell's script into ``folder``; return the paths written."""
    written = []
    for shell, name in FILES.items():
        path = folder / name
        path.write_text(completion_script(shell), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "completions"
    )
    for path in write_all(target):
        print(path)
