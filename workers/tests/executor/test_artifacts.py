"""Artifacts on real S3 (the local stack's moto server): write-once, SHA-256, verify, layout, logs."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from controlroom.artifacts import (
    ArtifactExists,
    ArtifactKey,
    ArtifactStore,
    Lineage,
    LineageInput,
    S3LogSink,
    log_key,
)

from .helpers import MiB

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class TrickleReader(io.RawIOBase):
    """A source that hands out at most 1000 bytes per read and cannot seek, like a pipe: proves the
    upload neither re-reads nor rewinds its source."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        self.reads += 1
        return self._data.read(min(size, 1000) if size >= 0 else 1000)


def _object_bytes(s3: S3Client, bucket: str, key: ArtifactKey) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key.object_key)["Body"].read()


def test_upload_records_the_sha256_of_the_bytes_and_verifies(
    store: ArtifactStore, key: ArtifactKey, s3: S3Client, bucket: str
) -> None:
    data = os.urandom(300_000)

    record = store.put(key, io.BytesIO(data), content_type="application/x-parquet")

    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.size == len(data)
    assert record.content_type == "application/x-parquet"
    assert _object_bytes(s3, bucket, key) == data
    assert store.verify(record).status == "ok"


def test_key_layout_is_workspace_run_attempt_phase_name(store: ArtifactStore, s3: S3Client, bucket: str) -> None:
    workspace = f"ws-{uuid.uuid4().hex[:12]}"
    key = ArtifactKey(workspace=workspace, run="run-7f3a", attempt=2, phase="load", name="tables/orders.parquet")

    record = store.put(key, io.BytesIO(b"x"))

    expected = f"{workspace}/run-7f3a/2/load/tables/orders.parquet"
    assert key.object_key == expected
    assert record.uri == f"s3://{bucket}/{expected}"
    assert s3.head_object(Bucket=bucket, Key=expected)["ContentLength"] == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"workspace": ".."},
        {"run": "a/b"},
        {"phase": ""},
        {"name": "../x"},
        {"name": "a//b"},
        {"name": "/abs"},
        {"attempt": 0},
    ],
)
def test_keys_cannot_escape_their_prefix(bad: dict[str, object]) -> None:
    fields: dict[str, object] = {"workspace": "w", "run": "r", "attempt": 1, "phase": "p", "name": "n"}
    with pytest.raises(ValidationError):
        ArtifactKey.model_validate({**fields, **bad})


def test_a_second_write_of_the_same_key_is_refused(
    store: ArtifactStore, key: ArtifactKey, s3: S3Client, bucket: str
) -> None:
    first = store.put(key, io.BytesIO(b"first version"))

    with pytest.raises(ArtifactExists) as refused:
        store.put(key, io.BytesIO(b"second version"))

    assert refused.value.uri == first.uri
    assert _object_bytes(s3, bucket, key) == b"first version"
    assert store.verify(first).status == "ok"


def test_large_upload_streams_in_parts_and_verifies(
    store: ArtifactStore, key: ArtifactKey, s3: S3Client, bucket: str
) -> None:
    data = os.urandom(11 * MiB + 123)  # three parts of 5 MiB, 5 MiB and the rest
    source = TrickleReader(data)

    record = store.put(key, source)

    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.size == len(data)
    assert source.reads >= len(data) // 1000  # consumed once, in small reads
    assert _object_bytes(s3, bucket, key) == data
    assert store.verify(record).status == "ok"


def test_a_second_large_write_is_refused(store: ArtifactStore, key: ArtifactKey) -> None:
    data = os.urandom(6 * MiB)
    store.put(key, io.BytesIO(data))

    with pytest.raises(ArtifactExists):
        store.put(key, io.BytesIO(data))


def test_write_once_holds_when_the_key_is_taken_during_a_large_upload(
    store: ArtifactStore, key: ArtifactKey, s3: S3Client, bucket: str
) -> None:
    """The existence pre-check has passed when the competing object lands: only the conditional
    CompleteMultipartUpload can refuse now, and it must."""

    class RacingReader(TrickleReader):
        def read(self, size: int = -1, /) -> bytes:
            if self.reads == 6000:  # well into the second part
                s3.put_object(Bucket=bucket, Key=key.object_key, Body=b"the other writer won")
            return super().read(size)

    with pytest.raises(ArtifactExists):
        store.put(key, RacingReader(os.urandom(7 * MiB)))

    assert _object_bytes(s3, bucket, key) == b"the other writer won"
    assert s3.list_multipart_uploads(Bucket=bucket, Prefix=key.object_key).get("Uploads", []) == []


def test_tampered_object_fails_verification(store: ArtifactStore, key: ArtifactKey, s3: S3Client, bucket: str) -> None:
    record = store.put(key, io.BytesIO(b"the numbers are right"))
    # Someone with bucket access overwrites the object directly, bypassing the conditional put.
    s3.put_object(Bucket=bucket, Key=key.object_key, Body=b"the numbers are wrong")

    result = store.verify(record)

    assert result.status == "mismatch"
    assert not result.ok
    assert result.expected_sha256 == hashlib.sha256(b"the numbers are right").hexdigest()
    assert result.actual_sha256 == hashlib.sha256(b"the numbers are wrong").hexdigest()
    assert (result.expected_size, result.actual_size) == (21, 21)


def test_deleted_object_is_reported_missing(store: ArtifactStore, key: ArtifactKey, s3: S3Client, bucket: str) -> None:
    record = store.put(key, io.BytesIO(b"soon gone"))
    s3.delete_object(Bucket=bucket, Key=key.object_key)

    result = store.verify(record)

    assert result.status == "missing"
    assert result.actual_sha256 is None


def test_record_carries_lineage(store: ArtifactStore, key: ArtifactKey) -> None:
    upstream = hashlib.sha256(b"upstream").hexdigest()
    lineage = Lineage(
        spec_hash="ab" * 32,
        inputs=[LineageInput(artifact_id="a-1", sha256=upstream)],
        tool_versions={"duckdb": "1.1.3"},
        row_count=3,
    )

    record = store.put(key, io.BytesIO(b"a,b\n1,2\n3,4\n5,6\n"), content_type="text/csv", lineage=lineage)

    assert record.lineage.producing_phase == key.phase
    assert record.lineage.inputs[0].sha256 == upstream
    assert record.lineage.row_count == 3
    assert record.lineage.tool_versions["duckdb"] == "1.1.3"
    assert "controlroom" in record.lineage.tool_versions
    dumped = record.model_dump(mode="json")
    assert dumped["uri"] == record.uri
    assert type(record).model_validate(dumped) == record


def test_log_sink_publishes_a_phase_log_as_an_artifact(
    store: ArtifactStore, key: ArtifactKey, s3: S3Client, bucket: str
) -> None:
    lines = [f"line {i}\n".encode() for i in range(20_000)]
    with S3LogSink(store, log_key(key, "stdout"), spool_bytes=4096) as sink:
        for line in lines:
            sink.write(line)
        record = sink.publish()

    assert record.key.object_key == f"{key.workspace}/{key.run}/1/{key.phase}/logs/stdout.log"
    assert record.content_type.startswith("text/plain")
    assert record.sha256 == hashlib.sha256(b"".join(lines)).hexdigest()
    assert _object_bytes(s3, bucket, record.key) == b"".join(lines)
    assert store.verify(record).ok


def test_a_plain_put_over_an_artifact_key_cannot_replace_the_recorded_version(
    store: ArtifactStore, key: ArtifactKey, s3: S3Client, bucket: str
) -> None:
    """What the store itself enforces (versioning + Object Lock), not only our conditional put."""
    record = store.put(key, io.BytesIO(b"the numbers are right"))
    assert record.version_id
    assert record.etag

    # A writer with plain credentials (no If-None-Match) is not refused: S3 adds a version...
    tampered = s3.put_object(Bucket=bucket, Key=key.object_key, Body=b"the numbers are WRONG")
    assert tampered["VersionId"] != record.version_id
    # ...the recorded version keeps its bytes...
    kept = s3.get_object(Bucket=bucket, Key=key.object_key, VersionId=record.version_id)
    assert kept["Body"].read() == b"the numbers are right"
    # ...and cannot be deleted or rewritten during its retention, not even by the stack's admin.
    for extra in ({}, {"BypassGovernanceRetention": True}):
        with pytest.raises(ClientError) as refused:
            s3.delete_object(Bucket=bucket, Key=key.object_key, VersionId=record.version_id, **extra)  # type: ignore[arg-type]
        assert refused.value.response["Error"]["Code"] == "AccessDenied"

    # verify reads the recorded version (intact), and reports what the uri serves now.
    result = store.verify(record)
    assert (result.status, result.superseded, result.recorded_intact) == ("mismatch", True, True)
    assert result.actual_sha256 == hashlib.sha256(b"the numbers are WRONG").hexdigest()
    assert result.version_id == tampered["VersionId"]

    # A delete marker hides the key, not the version.
    s3.delete_object(Bucket=bucket, Key=key.object_key)
    result = store.verify(record)
    assert (result.status, result.superseded, result.recorded_intact) == ("missing", True, True)
    assert s3.get_object(Bucket=bucket, Key=key.object_key, VersionId=record.version_id)["Body"].read() == (
        b"the numbers are right"
    )


def test_an_untouched_versioned_artifact_verifies_as_the_recorded_version(
    store: ArtifactStore, key: ArtifactKey
) -> None:
    record = store.put(key, io.BytesIO(b"fine"))
    result = store.verify(record)
    assert (result.status, result.superseded, result.recorded_intact) == ("ok", False, True)
    assert result.version_id == record.version_id
