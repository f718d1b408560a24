"""Uploads that ride out an object-store outage: bounded retries with backoff, and no orphan.

An upload whose answer was lost may still have stored the object: the retry is then refused as
ArtifactExists (write-once). The key belongs to one attempt, so the object there can only be this
upload's own; it is adopted when its bytes hash to the same SHA-256 (ArtifactStore.adopt), and the
record is the same as if the first answer had arrived. Anything else under the key stays an error.

Bounds (environment, documented in docs/reliability.md): CONTROLROOM_ARTIFACT_RETRY_SECONDS (default
60) is the longest time spent retrying one upload; the delay between tries grows from 0.5 s to at
most 5 s, with full jitter.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from controlroom.artifacts.errors import ArtifactConflict, ArtifactError, ArtifactExists, ArtifactStorageError
from controlroom.artifacts.models import ArtifactKey, ArtifactRecord, Lineage
from controlroom.artifacts.store import ArtifactStore, ByteSource

DEFAULT_RETRY_SECONDS = 60.0


@dataclass(frozen=True)
class UploadRetry:
    total_seconds: float = DEFAULT_RETRY_SECONDS
    base_seconds: float = 0.5
    max_seconds: float = 5.0

    @classmethod
    def from_env(cls) -> UploadRetry:
        raw = os.environ.get("CONTROLROOM_ARTIFACT_RETRY_SECONDS", str(DEFAULT_RETRY_SECONDS))
        try:
            return cls(total_seconds=max(0.0, float(raw)))
        except ValueError:
            raise ValueError(f"CONTROLROOM_ARTIFACT_RETRY_SECONDS must be a number of seconds, got {raw!r}") from None

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1)))  # noqa: S311


def put_retrying(
    store: ArtifactStore,
    key: ArtifactKey,
    open_source: Callable[[], ByteSource],
    *,
    content_type: str,
    lineage: Lineage | None,
    retry: UploadRetry,
    on_retry: Callable[[int, ArtifactError], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ArtifactRecord:
    """store.put, retried on storage failures until retry.total_seconds have passed; `open_source`
    gives the bytes from their start for every try. Raises the last ArtifactError."""
    deadline = time.monotonic() + retry.total_seconds
    attempt, failed_before = 0, False
    while True:
        attempt += 1
        try:
            return store.put(key, open_source(), content_type=content_type, lineage=lineage)
        except ArtifactExists:
            if not failed_before:
                raise
            adopted = store.adopt(key, open_source(), content_type=content_type, lineage=lineage)
            if adopted is None:
                raise
            return adopted
        except (ArtifactStorageError, ArtifactConflict) as exc:
            failed_before = True
            pause = retry.delay(attempt)
            if time.monotonic() + pause > deadline:
                raise
            if on_retry is not None:
                on_retry(attempt, exc)
            sleep(pause)
