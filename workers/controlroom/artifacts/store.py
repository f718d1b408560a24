"""Write-once, SHA-256-checked artifact storage on S3.

Streaming: the source is read once, in parts of `part_size` bytes, and each part is hashed for
its own S3 checksum and into the whole-object SHA-256 as it goes; at most one part is in memory.
An object smaller than one part is a single PutObject whose ChecksumSHA256 is the whole-object
digest; a larger one is a multipart upload with per-part SHA-256 checksums (S3 then keeps a
checksum-of-checksums; the whole-object digest lives in the record).

Write-once is the conditional write `If-None-Match: *` on PutObject / CompleteMultipartUpload:
the store itself refuses a second object under the key, with no race window. (Checked against
the local moto server, which answers 412 as AWS S3 does.) That guards this client only: anyone
with write access to the key can still put without the condition. So the bucket is versioned with
Object Lock (localstack/s3.py; on real S3, the bucket's own setting): such a put creates a new
version and cannot change or delete the uploaded one during its retention. The record keeps the
VersionId and ETag the upload returned, and verify reads exactly that version.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from botocore.exceptions import BotoCoreError, ClientError

import controlroom
from controlroom.artifacts.errors import (
    ArtifactConflict,
    ArtifactError,
    ArtifactExists,
    ArtifactIntegrityError,
    ArtifactStorageError,
    ArtifactTooLarge,
)
from controlroom.artifacts.models import ArtifactKey, ArtifactRecord, Lineage, VerifyResult

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MiB = 1024 * 1024
DEFAULT_PART_SIZE = 8 * MiB  # x 10,000 parts = 78 GiB per artifact; raise it for bigger ones
MIN_PART_SIZE = 5 * MiB  # S3's floor for every part but the last
MAX_PARTS = 10_000
READ_CHUNK = 1 * MiB
_MISSING_CODES = {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}
_INTEGRITY_CODES = {"BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest"}


@dataclass(frozen=True)
class ObjectLock:
    """The retention each artifact version is uploaded with (the bucket must have Object Lock enabled)."""

    mode: Literal["COMPLIANCE", "GOVERNANCE"]
    days: int

    @classmethod
    def from_setting(cls, mode: str, days: int) -> ObjectLock | None:
        """From CONTROLROOM_OBJECT_LOCK_MODE / _DAYS (see settings.py); None for off."""
        if mode.upper() == "OFF":
            return None
        return cls("GOVERNANCE" if mode.upper() == "GOVERNANCE" else "COMPLIANCE", max(1, days))

    def until(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=self.days)


class ByteSource(Protocol):
    """Anything with read(n): open files, pipes, SpooledTemporaryFile, io.BytesIO, HTTP bodies."""

    def read(self, size: int, /) -> bytes: ...


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _read_up_to(source: ByteSource, size: int) -> bytes:
    """read() may return short on pipes and raw streams; fill the part unless the source ends."""
    chunks, remaining = [], size
    while remaining > 0:
        chunk = source.read(min(remaining, READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class ArtifactStore:
    def __init__(
        self, client: S3Client, bucket: str, *, part_size: int = DEFAULT_PART_SIZE, lock: ObjectLock | None = None
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum part size)")
        self.client = client
        self.bucket = bucket
        self.part_size = part_size
        self.lock = lock

    def with_client(self, client: S3Client) -> ArtifactStore:
        """The same store through other credentials (a run's vended ones)."""
        return ArtifactStore(client, self.bucket, part_size=self.part_size, lock=self.lock)

    def uri(self, key: ArtifactKey) -> str:
        return f"s3://{self.bucket}/{key.object_key}"

    def put(
        self,
        key: ArtifactKey,
        source: ByteSource,
        *,
        content_type: str = "application/octet-stream",
        lineage: Lineage | None = None,
    ) -> ArtifactRecord:
        """Upload `source` (read once, from its current position) to `key`; raises ArtifactExists
        if anything is already stored there."""
        digest = hashlib.sha256()
        first = _read_up_to(source, self.part_size)
        with self._errors(key):
            if len(first) < self.part_size:
                digest.update(first)
                version_id, etag = self._put_single(key, first, content_type)
                size = len(first)
            else:
                size, version_id, etag = self._put_multipart(key, first, source, digest, content_type)
        return ArtifactRecord(
            key=key,
            bucket=self.bucket,
            uri=self.uri(key),
            sha256=digest.hexdigest(),
            size=size,
            content_type=content_type,
            lineage=_complete_lineage(lineage or Lineage(), key),
            version_id=version_id,
            etag=etag,
        )

    def adopt(
        self,
        key: ArtifactKey,
        source: ByteSource,
        *,
        content_type: str = "application/octet-stream",
        lineage: Lineage | None = None,
    ) -> ArtifactRecord | None:
        """The record of the object already under `key` if it holds exactly `source`'s bytes, else None.

        For a retried upload whose first answer was lost: the object is the upload's own (keys are
        per attempt), so it is recorded instead of being left behind unregistered."""
        expected, size = hashlib.sha256(), 0
        while chunk := source.read(READ_CHUNK):
            expected.update(chunk)
            size += len(chunk)
        uri = self.uri(key)
        with self._errors(key):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=key.object_key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in _MISSING_CODES:
                    return None
                raise
            stored, stored_size = hashlib.sha256(), 0
            for chunk in response["Body"].iter_chunks(READ_CHUNK):
                stored.update(chunk)
                stored_size += len(chunk)
        if stored.hexdigest() != expected.hexdigest() or stored_size != size:
            return None
        return ArtifactRecord(
            key=key,
            bucket=self.bucket,
            uri=uri,
            sha256=expected.hexdigest(),
            size=size,
            content_type=content_type,
            lineage=_complete_lineage(lineage or Lineage(), key),
            version_id=response.get("VersionId"),
            etag=response.get("ETag"),
        )

    def verify(self, record: ArtifactRecord) -> VerifyResult:
        """Re-read the artifact (streaming) and compare its SHA-256 and size with the record.

        Without a recorded version (unversioned buckets), the key's current object is read. With
        one, exactly that version is read first: `recorded_intact` says whether the uploaded bytes
        are still there (Object Lock keeps them for the retention period). The verdict itself is
        about what the uri serves now, which is what readers get: if someone put a new version or a
        delete marker over the key since, that one is read and reported (`superseded`), as
        mismatch or missing unless it holds the very same bytes.
        """
        if not record.version_id:
            return self._verdict(record, None)
        recorded = self._verdict(record, record.version_id)
        if recorded.status != "ok":
            return recorded.model_copy(update={"recorded_intact": False})
        current = self._current_version(record)
        if current == record.version_id:
            return recorded.model_copy(update={"recorded_intact": True})
        if current is None:
            now = VerifyResult(
                status="missing", uri=record.uri, expected_sha256=record.sha256, expected_size=record.size
            )
        else:
            now = self._verdict(record, current)
        return now.model_copy(update={"superseded": True, "recorded_intact": True, "version_id": current})

    def _verdict(self, record: ArtifactRecord, version_id: str | None) -> VerifyResult:
        try:
            if version_id:
                response = self.client.get_object(Bucket=record.bucket, Key=record.key.object_key, VersionId=version_id)
            else:
                response = self.client.get_object(Bucket=record.bucket, Key=record.key.object_key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING_CODES:
                return VerifyResult(
                    status="missing",
                    uri=record.uri,
                    expected_sha256=record.sha256,
                    expected_size=record.size,
                    version_id=version_id,
                )
            raise ArtifactStorageError(record.uri, f"cannot read for verification: {exc}") from exc
        digest, size = hashlib.sha256(), 0
        for chunk in response["Body"].iter_chunks(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        actual = digest.hexdigest()
        return VerifyResult(
            status="ok" if actual == record.sha256 and size == record.size else "mismatch",
            uri=record.uri,
            expected_sha256=record.sha256,
            expected_size=record.size,
            actual_sha256=actual,
            actual_size=size,
            version_id=response.get("VersionId") or version_id,
        )

    def _current_version(self, record: ArtifactRecord) -> str | None:
        """The version the key serves now; None when its latest version is a delete marker."""
        try:
            head = self.client.head_object(Bucket=record.bucket, Key=record.key.object_key)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 405):
                return None
            raise ArtifactStorageError(record.uri, f"cannot read for verification: {exc}") from exc
        return head.get("VersionId")

    def _put_single(self, key: ArtifactKey, data: bytes, content_type: str) -> tuple[str | None, str | None]:
        if self.lock is not None:
            # S3 requires a checksum algorithm header on uploads with a retention; ours is SHA-256.
            response = self.client.put_object(
                Bucket=self.bucket,
                Key=key.object_key,
                Body=data,
                ContentType=content_type,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=_b64(hashlib.sha256(data).digest()),
                IfNoneMatch="*",
                ObjectLockMode=self.lock.mode,
                ObjectLockRetainUntilDate=self.lock.until(),
            )
        else:
            response = self.client.put_object(
                Bucket=self.bucket,
                Key=key.object_key,
                Body=data,
                ContentType=content_type,
                ChecksumSHA256=_b64(hashlib.sha256(data).digest()),
                IfNoneMatch="*",
            )
        return response.get("VersionId"), response.get("ETag")

    def _put_multipart(
        self, key: ArtifactKey, first: bytes, source: ByteSource, digest: hashlib._Hash, content_type: str
    ) -> tuple[int, str | None, str | None]:
        # Not the guarantee (the conditional complete is), but saves uploading gigabytes only to
        # be refused at the end.
        if self._exists(key):
            raise ArtifactExists(self.uri(key), "an object already exists under this key; artifacts are write-once")
        if self.lock is not None:
            upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=key.object_key,
                ContentType=content_type,
                ChecksumAlgorithm="SHA256",
                ObjectLockMode=self.lock.mode,
                ObjectLockRetainUntilDate=self.lock.until(),
            )["UploadId"]
        else:
            upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=key.object_key, ContentType=content_type, ChecksumAlgorithm="SHA256"
            )["UploadId"]
        try:
            parts, size = self._upload_parts(key, upload_id, first, source, digest)
            done = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key.object_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except BaseException:
            # Incomplete uploads are billed storage and invisible; never leave one behind.
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key.object_key, UploadId=upload_id)
            raise
        return size, done.get("VersionId"), done.get("ETag")

    def _upload_parts(
        self, key: ArtifactKey, upload_id: str, first: bytes, source: ByteSource, digest: hashlib._Hash
    ) -> tuple[list[CompletedPartTypeDef], int]:
        parts: list[CompletedPartTypeDef] = []
        size, data = 0, first
        while data:
            if len(parts) == MAX_PARTS:
                raise ArtifactTooLarge(
                    self.uri(key), f"more than {MAX_PARTS} parts of {self.part_size} bytes; use a larger part_size"
                )
            digest.update(data)
            checksum = _b64(hashlib.sha256(data).digest())
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=key.object_key,
                UploadId=upload_id,
                PartNumber=len(parts) + 1,
                Body=data,
                ChecksumSHA256=checksum,
            )
            parts.append({"PartNumber": len(parts) + 1, "ETag": response["ETag"], "ChecksumSHA256": checksum})
            size += len(data)
            data = _read_up_to(source, self.part_size)
        return parts, size

    def _exists(self, key: ArtifactKey) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key.object_key)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return False
            raise
        return True

    @contextmanager
    def _errors(self, key: ArtifactKey) -> Iterator[None]:
        uri = self.uri(key)
        try:
            yield
        except ArtifactError:
            raise
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "PreconditionFailed" or status == 412:
                raise ArtifactExists(uri, "an object already exists under this key; artifacts are write-once") from exc
            if code == "ConditionalRequestConflict" or status == 409:
                raise ArtifactConflict(uri, "a concurrent write to the same key is in progress") from exc
            if code in _INTEGRITY_CODES or "checksum" in error.get("Message", "").lower():
                raise ArtifactIntegrityError(uri, f"the store rejected the bytes: {code}") from exc
            raise ArtifactStorageError(uri, f"{code or status}: {error.get('Message', exc)}") from exc
        except BotoCoreError as exc:
            raise ArtifactStorageError(uri, str(exc)) from exc


def _complete_lineage(lineage: Lineage, key: ArtifactKey) -> Lineage:
    versions = {"controlroom": controlroom.__version__, **lineage.tool_versions}
    return lineage.model_copy(
        update={"producing_phase": lineage.producing_phase or key.phase, "tool_versions": versions}
    )
