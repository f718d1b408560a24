"""Progress of a long command on stderr: a rich progress bar on a terminal, a plain line now and then
otherwise (CI logs, pipes), nothing when the command was asked for JSON."""

from __future__ import annotations

import time
from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from controlroom.cli.common import err

LINE_EVERY_ITEMS = 500
LINE_EVERY_SECONDS = 10.0


class Tally:
    """Counts items done out of `total` (which may grow: items found after the count are still done)."""

    def __init__(self, what: str, total: int, *, quiet: bool = False) -> None:
        self.what = what
        self.total = total
        self.done = 0
        self._quiet = quiet
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._line_at = (0, time.monotonic())

    def __enter__(self) -> Tally:
        if not self._quiet and err.is_terminal:
            self._bar = Progress(
                TextColumn(self.what),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total)
        return self

    def advance(self) -> None:
        self.done += 1
        self.total = max(self.total, self.done)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done, total=self.total)
        elif not self._quiet:
            items, at = self._line_at
            if self.done - items >= LINE_EVERY_ITEMS or time.monotonic() - at >= LINE_EVERY_SECONDS:
                err.print(f"{self.what}: {self.done} of {self.total}", style="dim")
                self._line_at = (self.done, time.monotonic())

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
