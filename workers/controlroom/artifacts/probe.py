"""The worker's startup check of the data plane: can it reach S3 and store objects in its bucket?

A worker that cannot store outputs would fail every run it claims (artifact_store_unavailable) and
keep other workers from running them; one without any S3 credentials used to mark runs succeeded
with no artifacts at all. So it refuses to start instead (non-zero exit, one clear message).

What is checked depends on whose credentials store the artifacts (artifacts/credentials.py):
- shared credentials (the worker's own keys): a small write-once probe object is put under
  `_controlroom/probes/` of the bucket (conditional put, so it never overwrites anything);
- per-run workspace credentials: the executor identity may only assume workspace roles, so the
  probe is STS GetCallerIdentity (are the executor's keys valid?) and a HeadBucket on the bucket
  (is S3 reachable, does the bucket exist? an AccessDenied answer proves both).
"""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

PROBE_PREFIX = "_controlroom/probes/"


class StorageUnreachable(Exception):
    """The worker cannot use its object store: say why and what to check."""


def probe_key(host: str | None = None) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{PROBE_PREFIX}{host or socket.gethostname()}-{stamp}-{uuid.uuid4().hex[:12]}"


def check_write(client: S3Client, bucket: str, endpoint: str | None) -> str:
    """Puts a write-once probe object; returns its key. Raises StorageUnreachable."""
    key = probe_key()
    where = f"s3://{bucket}/{key} (endpoint {endpoint or 'AWS default'})"
    try:
        client.put_object(
            Bucket=bucket,
            Key=key,
            Body=b"controlroom worker startup probe\n",
            ContentType="text/plain",
            IfNoneMatch="*",
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise StorageUnreachable(
            f"cannot write the startup probe {where}: {code or exc}. Check CONTROLROOM_BUCKET, the worker's "
            "S3 credentials (AWS_ACCESS_KEY_ID/…) and that they may s3:PutObject into the bucket."
        ) from exc
    except BotoCoreError as exc:
        raise StorageUnreachable(
            f"cannot reach S3 to write the startup probe {where}: {exc}. Check S3_ENDPOINT_URL and that the "
            "worker has S3 credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an instance role)."
        ) from exc
    return key


def check_reachable(client: S3Client, sts: STSClient, bucket: str, endpoint: str | None) -> None:
    """The executor identity is valid and the bucket answers. Raises StorageUnreachable."""
    try:
        sts.get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        raise StorageUnreachable(
            f"the executor's storage identity is not usable (STS GetCallerIdentity: {exc}). Check "
            "CONTROLROOM_EXECUTOR_AWS_ACCESS_KEY_ID/…, CONTROLROOM_STS_ENDPOINT_URL or the instance role."
        ) from exc
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 403:
            return  # reachable and existing; the workspace roles hold the object permissions
        raise StorageUnreachable(
            f"bucket {bucket} does not answer at {endpoint or 'AWS'} (HeadBucket: {status or exc}). Check "
            "CONTROLROOM_BUCKET and S3_ENDPOINT_URL."
        ) from exc
    except BotoCoreError as exc:
        raise StorageUnreachable(
            f"cannot reach S3 at {endpoint or 'AWS'} for bucket {bucket}: {exc}. Check S3_ENDPOINT_URL."
        ) from exc
