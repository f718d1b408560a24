"""Fixtures for the executor's process and data-plane layers: real subprocesses, real S3 (moto).

The S3 coordinates come from `eval "$(controlroom env)"`. Every test writes under its own random
workspace prefix, so tests can run in parallel (pytest -n) against one bucket.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from controlroom.artifacts import ArtifactKey, ArtifactStore, ObjectLock
from controlroom.phases.context import PhaseContext
from controlroom.phases.sinks import FileLogSink

from .helpers import PhaseHarness, Recorder

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MiB = 1024 * 1024


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f'{name} is not set: run `controlroom up` and `eval "$(controlroom env)"` first.', returncode=2)
    return value


@pytest.fixture(scope="session")
def s3() -> S3Client:
    """A plain boto3 client, built from the environment the way an operator's tooling would."""
    return boto3.client(
        "s3",
        endpoint_url=_require("S3_ENDPOINT_URL"),
        aws_access_key_id=_require("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=_require("AWS_SECRET_ACCESS_KEY"),
        region_name=_require("AWS_REGION"),
    )


@pytest.fixture(scope="session")
def bucket() -> str:
    return _require("CONTROLROOM_BUCKET")


@pytest.fixture
def store(s3: S3Client, bucket: str) -> ArtifactStore:
    # The smallest part size S3 allows, so multipart uploads are exercised with ~11 MiB of data; the
    # retention the worker uses by default (the local bucket has Object Lock enabled).
    return ArtifactStore(s3, bucket, part_size=5 * MiB, lock=ObjectLock("COMPLIANCE", 1))


@pytest.fixture
def key() -> ArtifactKey:
    return ArtifactKey(
        workspace=f"ws-{uuid.uuid4().hex[:12]}", run=str(uuid.uuid4()), attempt=1, phase="extract", name="out.bin"
    )


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[PhaseHarness]:
    work = tmp_path / "work"
    work.mkdir()
    out, err = FileLogSink(tmp_path / "stdout.log"), FileLogSink(tmp_path / "stderr.log")
    events = Recorder()
    yield PhaseHarness(PhaseContext(workdir=work, on_event=events, stdout=out, stderr=err), events, out.path, err.path)
    out.close()
    err.close()
