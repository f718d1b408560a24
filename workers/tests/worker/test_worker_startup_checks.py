"""A worker that cannot do its job refuses to start, with a non-zero exit and a clear message
(issue 17): a bad token needs a person (EX_CONFIG, 78), unusable object storage is EX_UNAVAILABLE (69).
A worker that starts has written its probe object."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import boto3

EXIT_UNAVAILABLE = 69
EXIT_CONFIG = 78


def _worker(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "controlroom.cli", "worker", "--pool", f"p-{uuid.uuid4().hex[:8]}", "--once", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_forged_token_stops_the_worker_with_exit_78_and_says_why() -> None:
    env = dict(os.environ) | {"CONTROLROOM_TOKEN": "not-a-jwt", "CONTROLROOM_STORAGE_PROBE": "off"}
    done = _worker(env)
    assert done.returncode == EXIT_CONFIG, done.stderr[-2000:]
    assert "refused this worker" in done.stderr


def test_a_worker_without_s3_credentials_refuses_to_start() -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("CONTROLROOM_EXECUTOR_")
    }
    env |= {
        "CONTROLROOM_STORAGE_CREDENTIALS": "shared",
        # No credentials anywhere in boto3's chain (no config files, no instance metadata).
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    done = _worker(env)
    assert done.returncode == EXIT_UNAVAILABLE, done.stderr[-2000:]
    assert "cannot store artifacts" in done.stderr


def test_a_worker_whose_s3_endpoint_is_down_refuses_to_start() -> None:
    env = dict(os.environ) | {
        "S3_ENDPOINT_URL": "http://127.0.0.1:9",  # discard port: nothing listens
        "CONTROLROOM_S3_TIMEOUT_SECONDS": "1",
    }
    done = _worker(env)
    assert done.returncode == EXIT_UNAVAILABLE, done.stderr[-2000:]
    assert "cannot store artifacts" in done.stderr


def test_a_worker_with_shared_credentials_writes_a_probe_object_and_starts() -> None:
    env = dict(os.environ) | {"CONTROLROOM_STORAGE_CREDENTIALS": "shared"}
    done = _worker(env)
    assert done.returncode == 0, done.stderr[-2000:]
    probe = [line for line in done.stderr.splitlines() if '"storage.probe_written"' in line]
    assert probe, done.stderr[-2000:]
    s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION"))
    bucket = os.environ.get("CONTROLROOM_BUCKET", "controlroom-artifacts")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="_controlroom/probes/")
    assert listed.get("KeyCount", 0) >= 1
