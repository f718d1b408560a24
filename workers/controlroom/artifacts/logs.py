"""A phase's stdout/stderr as log artifacts (`<phase>/logs/stdout.log`, `.../stderr.log`).

Choice: spool while the phase runs, upload once when it ends. The runner never writes more than
the output cap, so the spool is bounded; it stays in memory up to `spool_bytes` and moves to a
temporary file beyond. Streaming each chunk straight to S3 would need a multipart upload held
open for the phase's whole life (and parts of >= 5 MiB), for logs that are rarely that large;
the cost of this choice is that a phase's logs appear in S3 only when it ends (the executor's
phase.log events carry a summary and the tail meanwhile).
"""

from __future__ import annotations

import tempfile
from types import TracebackType
from typing import IO, Literal

from controlroom.artifacts.models import ArtifactKey, ArtifactRecord, Lineage
from controlroom.artifacts.store import ArtifactStore

LOG_CONTENT_TYPE = "text/plain; charset=utf-8"
DEFAULT_SPOOL_BYTES = 1024 * 1024


def log_key(phase_key: ArtifactKey, stream: Literal["stdout", "stderr"]) -> ArtifactKey:
    return phase_key.sibling(f"logs/{stream}.log")


class S3LogSink:
    """Satisfies controlroom.phases.sinks.LogSink; `publish()` after the phase, then `close()`."""

    def __init__(self, store: ArtifactStore, key: ArtifactKey, *, spool_bytes: int = DEFAULT_SPOOL_BYTES) -> None:
        self.store = store
        self.key = key
        self.bytes = 0
        self._spool = tempfile.SpooledTemporaryFile(max_size=spool_bytes)  # noqa: SIM115 - closed by close()

    def write(self, data: bytes, /) -> None:
        self._spool.write(data)
        self.bytes += len(data)

    content_type = LOG_CONTENT_TYPE

    @property
    def spool(self) -> IO[bytes]:
        """The captured bytes (rewind() first to read them from the start)."""
        return self._spool

    def rewind(self) -> None:
        self._spool.seek(0)

    def publish(self, lineage: Lineage | None = None) -> ArtifactRecord:
        self._spool.seek(0)
        return self.store.put(self.key, self._spool, content_type=LOG_CONTENT_TYPE, lineage=lineage)

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> S3LogSink:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
