"""Where a phase's stdout and stderr go while it runs.

The runner writes each chunk as it is read from the pipe (never the whole output in memory)
and never more than the output cap in total; the caller owns the sink and closes or publishes it.
controlroom.artifacts.logs.S3LogSink satisfies the same protocol.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol


class LogSink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class NullLogSink:
    def write(self, data: bytes, /) -> None:
        return None


class FileLogSink:
    """Appends to a local file; useful for tests and for executors that ship logs themselves."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO = path.open("ab")

    def write(self, data: bytes, /) -> None:
        self._file.write(data)
        self._file.flush()

    def close(self) -> None:
        self._file.close()
