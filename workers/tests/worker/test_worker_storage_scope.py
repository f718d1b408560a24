"""Tenant-scoped storage at the storage layer itself: a phase of W1 holds only W1's vended credentials,
so even code that bypasses every spec rule (a shell phase calling S3 directly) gets AccessDenied on
W2's objects, for reading, writing and deleting; the executor identity cannot touch S3 at all; and a
workspace without a role fails its run with a hint naming the command that creates it."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from controlroom.artifacts.credentials import STORAGE_ROLE_MISSING
from controlroom.client.control_plane import ControlPlane
from tests.worker.conftest import PY, Queue

BUCKET = os.environ.get("CONTROLROOM_BUCKET", "controlroom-artifacts")

# Runs inside the phase, with nothing but the phase's environment.
PROBE = r"""
import json, os, sys
import boto3
from botocore.exceptions import ClientError
from controlroom.lakehouse.storage import DataPlane

bucket, mine, theirs = sys.argv[1], sys.argv[2], sys.argv[3]
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"])

def attempt(name, call):
    try:
        call()
        return "ok"
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    except OSError as exc:  # pyarrow
        return "AccessDenied" if "ACCESS_DENIED" in str(exc) or "AccessDenied" in str(exc) else str(exc)

fs, path = DataPlane.from_env().resolve(f"s3://{bucket}/{theirs}")
report = {
    "key_id_prefix": os.environ.get("AWS_ACCESS_KEY_ID", "")[:4],
    "has_session_token": bool(os.environ.get("AWS_SESSION_TOKEN")),
    "executor_keys_visible": any(k.startswith("CONTROLROOM_EXECUTOR") for k in os.environ),
    "put_mine": attempt("put", lambda: s3.put_object(Bucket=bucket, Key=mine, Body=b"mine")),
    "get_mine": attempt("get", lambda: s3.get_object(Bucket=bucket, Key=mine)["Body"].read()),
    "get_theirs": attempt("get", lambda: s3.get_object(Bucket=bucket, Key=theirs)["Body"].read()),
    "pyarrow_get_theirs": attempt("pyarrow", lambda: fs.open_input_stream(path).read()),
    "put_theirs": attempt("put", lambda: s3.put_object(Bucket=bucket, Key=theirs, Body=b"overwritten")),
    "delete_theirs": attempt("delete", lambda: s3.delete_object(Bucket=bucket, Key=theirs)),
}
print(json.dumps(report))
"""


def _admin_s3() -> Any:
    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])


def _stdout_of(queue: Queue, run: str, phase: str) -> bytes:
    row = next(r for r in queue.artifacts(run) if (r["phase"], r["name"]) == (phase, "logs/stdout.log"))
    body: bytes = _admin_s3().get_object(Bucket=BUCKET, Key=row["uri"].split("/", 3)[3])["Body"].read()
    return body


def test_a_w1_phase_with_its_vended_credentials_cannot_read_write_or_delete_w2_objects(
    make_queue: Callable[..., Queue], start_worker: Any, service_plane: ControlPlane
) -> None:
    w2 = service_plane.create_workspace(f"w2-{uuid.uuid4().hex[:10]}", name="victim")
    theirs = f"{w2.id}/lake/secret.csv"
    _admin_s3().put_object(Bucket=BUCKET, Key=theirs, Body=b"card\n4111\n")
    queue = make_queue(
        [
            {
                "name": "probe",
                "kind": "shell",
                "argv": [PY, "-c", PROBE, "${run.bucket}", "${run.workspace}/probe/mine.txt", theirs],
            }
        ]
    )
    run = queue.submit()
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=60) == 0
    assert queue.run(run)["status"] == "succeeded", queue.attempts(run)

    report = json.loads(_stdout_of(queue, run, "probe"))
    assert report == {
        "key_id_prefix": "ASIA",  # an STS session, not a long-lived key
        "has_session_token": True,
        "executor_keys_visible": False,
        "put_mine": "ok",
        "get_mine": "ok",
        "get_theirs": "AccessDenied",
        "pyarrow_get_theirs": "AccessDenied",
        "put_theirs": "AccessDenied",
        "delete_theirs": "AccessDenied",
    }
    # W2's object is untouched.
    assert _admin_s3().get_object(Bucket=BUCKET, Key=theirs)["Body"].read() == b"card\n4111\n"
    # The executor uploaded the run's artifacts with the same scoped credentials.
    assert all(r["uri"].startswith(f"s3://{BUCKET}/{queue.workspace_id}/") for r in queue.artifacts(run))
    vended = [e for e in queue.events(run) if e["type"] == "phase.started"]
    assert vended


def test_the_executor_identity_itself_cannot_touch_s3() -> None:
    executor = boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        region_name=os.environ["AWS_REGION"],
        aws_access_key_id=os.environ["CONTROLROOM_EXECUTOR_AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["CONTROLROOM_EXECUTOR_AWS_SECRET_ACCESS_KEY"],
    )
    for call in (
        lambda: executor.list_objects_v2(Bucket=BUCKET),
        lambda: executor.put_object(Bucket=BUCKET, Key=f"{uuid.uuid4()}/x", Body=b"x"),
    ):
        with pytest.raises(ClientError) as denied:
            call()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_a_run_whose_workspace_has_no_role_fails_with_the_command_that_creates_it(
    make_queue: Callable[..., Queue], start_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTROLROOM_STORAGE_AUTO_PROVISION", "0")
    queue = make_queue([{"name": "noop", "kind": "shell", "argv": ["true"]}])
    run = queue.submit()
    assert start_worker(queue.pool, "--once").wait(timeout=60) == 0
    final = queue.wait_for(run, {"succeeded", "failed"})
    attempts = queue.attempts(run)
    assert final["status"] == "failed"
    assert len(attempts) == 1, "non-retryable"
    assert attempts[0]["error_class"] == STORAGE_ROLE_MISSING
    assert f"controlroom storage provision --workspace {queue.workspace_id}" in attempts[0]["error_message"]

    # The documented command fixes it; the next run succeeds without auto-provisioning.
    done = subprocess.run(
        ["controlroom", "storage", "provision", "--workspace", queue.workspace_id, "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["created"] is True
    again = queue.submit()
    assert start_worker(queue.pool, "--once").wait(timeout=60) == 0
    assert queue.wait_for(again, {"succeeded", "failed"})["status"] == "succeeded"
