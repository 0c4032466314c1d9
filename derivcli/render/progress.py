"""A progress bar on stderr for long grids: shown only on a terminal, and only after a second."""

from __future__ import annotations

import sys
import time
from typing import Any

from derivcli.render.output import console_on


class ProgressBar:
    """A Rich progress bar that appears once the work has run for ``delay`` seconds (and vanishes after)."""

    def __init__(self, *, total: int, delay: float = 1.0) -> None:
        self.total = total
        self.delay = delay
        self.began = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def __call__(self, done: int, total: int) -> None:
        """Advance to ``done`` of ``total`` points."""
        if self.bar is None:
            if time.monotonic() - self.began < self.delay or done >= total:
                return
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("grid"),
                BarColumn(),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                console=console_on(sys.stderr),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("grid", total=total)
        self.bar.update(self.task, completed=done)
