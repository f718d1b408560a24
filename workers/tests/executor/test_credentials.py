"""Vending per-run credentials against the local stack's IAM/STS (moto with IAM enforced)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from controlroom.artifacts.credentials import (
    STS_MIN_SECONDS,
    CredentialVendor,
    StorageRoleMissing,
    session_seconds,
)
from controlroom.settings import StorageSettings
from controlroom.storage.provision import provisioner_from

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        (None, 43_200),
        (NOW + timedelta(hours=2), 7_200),
        (NOW + timedelta(seconds=30), STS_MIN_SECONDS),  # STS refuses less than 15 minutes
        (NOW - timedelta(hours=1), STS_MIN_SECONDS),
        (NOW + timedelta(days=3), 43_200),  # no role session lasts longer than 12 h
    ],
)
def test_a_session_lasts_until_the_run_deadline_within_what_sts_allows(
    deadline: datetime | None, expected: int
) -> None:
    assert session_seconds(deadline, 43_200, now=NOW) == expected


def test_vended_credentials_reach_only_their_workspace_folder() -> None:
    settings = StorageSettings.from_env()
    bucket = os.environ["CONTROLROOM_BUCKET"]
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    vendor = CredentialVendor(settings, provisioner=provisioner_from(settings, bucket))
    creds = vendor.vend(mine, run_id=str(uuid.uuid4()), attempt=1, deadline_at=datetime.now(UTC) + timedelta(hours=1))
    assert creds.role_arn.endswith(f":role/controlroom-ws-{mine}")
    s3 = creds.s3(os.environ["S3_ENDPOINT_URL"], os.environ["AWS_REGION"])
    s3.put_object(Bucket=bucket, Key=f"{mine}/a.txt", Body=b"a")
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bucket, Key=f"{theirs}/a.txt", Body=b"a")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bucket, Key=f"{mine}-suffix/a.txt", Body=b"a")  # a prefix of the id is not enough
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_without_a_role_vending_fails_and_names_the_command() -> None:
    settings = StorageSettings.from_env()
    workspace = str(uuid.uuid4())
    with pytest.raises(StorageRoleMissing) as missing:
        CredentialVendor(settings).vend(workspace, run_id=str(uuid.uuid4()), attempt=1)
    assert f"controlroom storage provision --workspace {workspace}" in str(missing.value)
    assert not missing.value.retryable


def test_the_executor_may_not_assume_anything_but_workspace_roles() -> None:
    sts = boto3.client(
        "sts",
        endpoint_url=os.environ["CONTROLROOM_STS_ENDPOINT_URL"],
        region_name=os.environ["AWS_REGION"],
        aws_access_key_id=os.environ["CONTROLROOM_EXECUTOR_AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["CONTROLROOM_EXECUTOR_AWS_SECRET_ACCESS_KEY"],
    )
    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/some-admin-role", RoleSessionName="escape")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_the_local_endpoint_refuses_motos_control_api_and_unknown_keys() -> None:
    """moto's /moto-api/reset-auth would switch IAM off for every caller (a phase included)."""
    endpoint = os.environ["S3_ENDPOINT_URL"]
    for path in ("/moto-api/reset-auth", "/moto-api/reset"):
        assert httpx.post(f"{endpoint}{path}", content=b"inf", timeout=5).status_code == 403
    stranger = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ["AWS_REGION"],
        aws_access_key_id="UNKNOWN0ACCESS0KEY00",  # no identity has this key
        aws_secret_access_key="not-a-key",  # pragma: allowlist secret
    )
    with pytest.raises(ClientError) as unknown:
        stranger.list_objects_v2(Bucket=os.environ["CONTROLROOM_BUCKET"])
    assert unknown.value.response["Error"]["Code"] == "InvalidAccessKeyId"
