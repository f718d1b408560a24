"""A boto3 S3 client configured for the data plane (AWS S3, MinIO, or the local moto server)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def s3_client(
    endpoint_url: str | None = None, region: str | None = None, *, credentials: tuple[str, str, str] | None = None
) -> S3Client:
    """Credentials: `credentials` (key id, secret, session token: a run's vended ones), else boto3's
    usual chain (AWS_ACCESS_KEY_ID/…, instance roles).

    Checksums are computed by us (SHA-256, sent explicitly) rather than by botocore's default
    CRC32 trailers, which several S3-compatible stores do not accept; CONTROLROOM_S3_TIMEOUT_SECONDS
    (default 10) bounds the connect and each read; reads are verified by
    recomputing SHA-256, so botocore's response validation is only used where S3 requires it.
    """
    # Bounded waits: a frozen store (a stopped process still accepts TCP connections) must turn into
    # an error the upload retry loop handles (artifacts/upload.py), not a minute-long hang per try.
    timeout = float(os.environ.get("CONTROLROOM_S3_TIMEOUT_SECONDS", "10"))
    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=timeout,
        read_timeout=timeout,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": "path"} if endpoint_url else {},
    )
    if credentials is not None:
        key, secret, token = credentials
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=config,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
        )
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
