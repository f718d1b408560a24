"""Uploads through an object-store outage (issue 17, item 3), against the real local S3: a retried
upload whose first answer was lost adopts its own object (no orphan, no error), anything else under
the key stays an error, and the retries stop at their bound."""

from __future__ import annotations

import io
import time

import pytest

from controlroom.artifacts import ArtifactExists, ArtifactKey, ArtifactRecord, ArtifactStorageError, ArtifactStore
from controlroom.artifacts.models import Lineage
from controlroom.artifacts.store import ByteSource
from controlroom.artifacts.upload import UploadRetry, put_retrying

FAST = UploadRetry(total_seconds=5, base_seconds=0.01, max_seconds=0.01)


class AnswerLostOnce(ArtifactStore):
    """Stores the object, then fails as if the connection dropped before the answer arrived."""

    def __init__(self, store: ArtifactStore) -> None:
        super().__init__(store.client, store.bucket, part_size=store.part_size, lock=store.lock)
        self.puts = 0

    def put(
        self,
        key: ArtifactKey,
        source: ByteSource,
        *,
        content_type: str = "application/octet-stream",
        lineage: Lineage | None = None,
    ) -> ArtifactRecord:
        self.puts += 1
        record = super().put(key, source, content_type=content_type, lineage=lineage)
        if self.puts == 1:
            raise ArtifactStorageError(record.uri, "connection reset before the answer")
        return record


class Down(ArtifactStore):
    def __init__(self, store: ArtifactStore) -> None:
        super().__init__(store.client, store.bucket, part_size=store.part_size, lock=store.lock)
        self.puts = 0

    def put(
        self,
        key: ArtifactKey,
        source: ByteSource,
        *,
        content_type: str = "application/octet-stream",
        lineage: Lineage | None = None,
    ) -> ArtifactRecord:
        self.puts += 1
        raise ArtifactStorageError(self.uri(key), "endpoint unreachable")


def test_an_upload_whose_answer_was_lost_adopts_its_own_object(store: ArtifactStore, key: ArtifactKey) -> None:
    flaky = AnswerLostOnce(store)
    record = put_retrying(
        flaky, key, lambda: io.BytesIO(b"rows: 3\n"), content_type="text/plain", lineage=None, retry=FAST
    )
    assert flaky.puts == 2
    assert record.version_id is not None
    assert store.verify(record).status == "ok"


def test_another_object_under_the_key_is_not_adopted(store: ArtifactStore, key: ArtifactKey) -> None:
    store.put(key, io.BytesIO(b"someone else's bytes"))
    flaky = AnswerLostOnce(store)
    flaky.puts = 1  # the next put is refused as ArtifactExists after a "failed" first try
    with pytest.raises(ArtifactExists):
        put_retrying(flaky, key, lambda: io.BytesIO(b"ours"), content_type="text/plain", lineage=None, retry=FAST)


def test_a_first_try_refused_as_existing_is_never_adopted(store: ArtifactStore, key: ArtifactKey) -> None:
    store.put(key, io.BytesIO(b"same"))
    with pytest.raises(ArtifactExists):
        put_retrying(store, key, lambda: io.BytesIO(b"same"), content_type="text/plain", lineage=None, retry=FAST)


def test_retries_stop_at_their_bound(store: ArtifactStore, key: ArtifactKey) -> None:
    down = Down(store)
    began = time.monotonic()
    with pytest.raises(ArtifactStorageError):
        put_retrying(
            down,
            key,
            lambda: io.BytesIO(b"x"),
            content_type="text/plain",
            lineage=None,
            retry=UploadRetry(total_seconds=0.3, base_seconds=0.05, max_seconds=0.05),
        )
    assert down.puts >= 2
    assert time.monotonic() - began < 0.3 + 0.2
