"""Deleting the one S3 version an artifact record pins, for retention (controlroom.retention).

Only that version goes: a later put over the key (another version) is someone else's object and
stays. The outcome says what S3 did, so the control plane records the truth:

- deleted: the version existed and is gone now;
- already_gone: S3 no longer has it (an earlier delete whose confirmation was lost, or someone
  else's); deleting a version is idempotent, so a redo after a crash lands here or in deleted;
- locked: its Object Lock retention (or a legal hold) forbids the delete; retain_until says when
  it may be tried again;
- failed: anything else (network, permissions), with S3's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef

Outcome = Literal["deleted", "already_gone", "locked", "failed"]
_GONE_CODES = {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}


@dataclass(frozen=True)
class DeleteOutcome:
    outcome: Outcome
    retain_until: datetime | None = None
    error: str | None = None


def split_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/key → (bucket, key); ValueError for anything else."""
    if not uri.startswith("s3://"):
        raise ValueError(f"uri {uri} is not an s3:// uri")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise ValueError(f"uri {uri} has no bucket or key")
    return bucket, key


def _code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code") or status or "")


def delete_recorded_version(client: S3Client, uri: str, version_id: str | None) -> DeleteOutcome:
    """Delete exactly `version_id` of `uri` (the key itself on an unversioned bucket: version_id None)."""
    try:
        bucket, key = split_uri(uri)
    except ValueError as exc:
        return DeleteOutcome("failed", error=str(exc))
    head: HeadObjectOutputTypeDef | None
    try:
        # Looked at first: "deleted" and "already_gone" differ only here (S3 answers 204 to a delete
        # of a version it does not have), and an active retention is read without provoking a 403.
        if version_id:
            head = client.head_object(Bucket=bucket, Key=key, VersionId=version_id)
        else:
            head = client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _code(exc) in _GONE_CODES:
            return DeleteOutcome("already_gone")
        if _code(exc) != "405":  # 405: the version is a delete marker; deleting it is still right
            return DeleteOutcome("failed", error=f"head: {_code(exc)}: {exc}")
        head = None
    except BotoCoreError as exc:
        return DeleteOutcome("failed", error=f"head: {exc}")
    retain_until = head.get("ObjectLockRetainUntilDate") if head else None
    mode = head.get("ObjectLockMode", "") if head else ""
    if head and head.get("ObjectLockLegalHoldStatus") == "ON":
        return DeleteOutcome("locked", error="the version is under an Object Lock legal hold")
    if retain_until is not None and retain_until > datetime.now(UTC):
        return DeleteOutcome(
            "locked",
            retain_until=retain_until,
            error=f"Object Lock {mode} retention until {retain_until.isoformat()}",
        )
    try:
        if version_id:
            client.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
        else:
            client.delete_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _code(exc) in _GONE_CODES:
            return DeleteOutcome("already_gone")
        if _code(exc) in ("AccessDenied", "403") and retain_until is not None:
            return DeleteOutcome("locked", retain_until=retain_until, error=f"delete: {_code(exc)}")
        return DeleteOutcome("failed", error=f"delete: {_code(exc)}: {exc}")
    except BotoCoreError as exc:
        return DeleteOutcome("failed", error=f"delete: {exc}")
    return DeleteOutcome("deleted")
