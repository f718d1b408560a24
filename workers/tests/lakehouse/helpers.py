"""Small helpers for the lakehouse tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
from deltalake import DeltaTable

from controlroom.lakehouse.models import SqlJob
from controlroom.lakehouse.sql_phase import execute
from controlroom.lakehouse.storage import DataPlane

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def put(s3: S3Client, uri: str, body: bytes) -> None:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def get(s3: S3Client, uri: str) -> bytes:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def keys_under(s3: S3Client, uri: str) -> list[str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])]


def run_sql(plane: DataPlane, **job: Any) -> dict[str, Any]:
    return execute(SqlJob.model_validate(job), plane)


def read_delta(plane: DataPlane, uri: str, version: int | None = None) -> pa.Table:
    location, options = plane.delta_location(uri)
    return DeltaTable(location, version=version, storage_options=options).to_pyarrow_table()
