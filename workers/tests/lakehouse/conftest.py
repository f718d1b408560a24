"""Fixtures for the lakehouse tests: the real local S3 (moto server) from `eval "$(controlroom env)"`,
and a fresh prefix per test so tests can run in parallel against one bucket."""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

import boto3
import pytest

from controlroom.lakehouse.storage import DataPlane

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

S3_VARIABLES = ("S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "CONTROLROOM_BUCKET")


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f'{name} is not set: run `controlroom up` and `eval "$(controlroom env)"` first.', returncode=2)
    return value


@pytest.fixture(scope="session")
def s3_env() -> dict[str, str]:
    """The variables a phase subprocess gets to reach the data plane (what the executor passes in ctx.env)."""
    return {name: _require(name) for name in S3_VARIABLES}


@pytest.fixture(scope="session")
def plane(s3_env: dict[str, str]) -> DataPlane:
    return DataPlane.from_env(s3_env)


@pytest.fixture(scope="session")
def bucket(s3_env: dict[str, str]) -> str:
    return s3_env["CONTROLROOM_BUCKET"]


@pytest.fixture(scope="session")
def s3(s3_env: dict[str, str]) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=s3_env["S3_ENDPOINT_URL"],
        region_name=s3_env["AWS_REGION"],
        aws_access_key_id=s3_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=s3_env["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def prefix(bucket: str) -> str:
    """s3://<bucket>/tests/lakehouse/<unique>: nothing else writes there."""
    return f"s3://{bucket}/tests/lakehouse/{uuid.uuid4().hex}"
