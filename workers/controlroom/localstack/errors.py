"""Errors the local stack reports to people: what failed, and what to do about it."""

from __future__ import annotations


class StackError(Exception):
    """A failure with a one-paragraph explanation; the CLI prints it without a traceback."""

    def __init__(self, what: str, fix: str, *, log: str | None = None) -> None:
        self.what = what
        self.fix = fix
        self.log = log
        super().__init__(self.paragraph())

    def paragraph(self) -> str:
        text = f"{self.what} {self.fix}"
        if self.log:
            text += f" Details are in {self.log}."
        return text
