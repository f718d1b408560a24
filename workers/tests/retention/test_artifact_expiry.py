"""Retention of artifact objects end to end: the control plane decides, `controlroom retention apply`'s
loop deletes the recorded S3 version, the expiry is recorded, and verify reports the artifact expired.
Against the real local stack (gateway, Postgres, moto S3 with Object Lock)."""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg
import pytest
from botocore.exceptions import ClientError

from controlroom.artifacts import ArtifactKey, ArtifactStore, ObjectLock, s3_client
from controlroom.artifacts.expiry import delete_recorded_version
from controlroom.client.control_plane import ControlPlane
from controlroom.retention import expire_artifacts
from tests.cli.conftest import run_cli
from tests.conftest import Pipeline

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DAY = timedelta(days=1)


@pytest.fixture
def s3() -> S3Client:
    return s3_client(os.environ.get("S3_ENDPOINT_URL") or None, os.environ.get("AWS_REGION") or None)


def _run_with_artifacts(
    service_plane: ControlPlane,
    executor: ControlPlane,
    pipeline: Pipeline,
    s3: S3Client,
    names: dict[str, ObjectLock | None],
) -> tuple[str, dict[str, str]]:
    """A run that uploads one object per name (with the given Object Lock, or none), registers them
    with its lease and succeeds. Returns the run id and the artifact ids by name."""
    run = service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name)
    me = str(executor.register_executor().id)
    [claim] = executor.claim_runs(me, max_runs=1, start=True)
    assert claim.run_id == run.id
    bucket = os.environ["CONTROLROOM_BUCKET"]
    ids = {}
    for name, lock in names.items():
        store = ArtifactStore(s3, bucket, lock=lock)
        key = ArtifactKey(workspace=pipeline.workspace_id, run=str(run.id), attempt=1, phase="extract", name=name)
        record = store.put(key, io.BytesIO(f"rows of {name}\n".encode()))
        reply = executor.register_artifact(
            claim.lease_token,
            phase="extract",
            name=name,
            uri=record.uri,
            sha256=record.sha256,
            size_bytes=record.size,
            version_id=record.version_id,
            etag=record.etag,
        )
        ids[name] = str(reply.artifact_id)
    executor.complete_run(claim.lease_token)
    return str(run.id), ids


def _version_exists(s3: S3Client, uri: str, version_id: str) -> bool:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    try:
        s3.head_object(Bucket=bucket, Key=key, VersionId=version_id)
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 405):
            return False
        raise
    return True


def test_an_expired_object_is_deleted_recorded_and_reported_by_verify(
    service_plane: ControlPlane,
    pipeline: Pipeline,
    executor_plane: Callable[[str], ControlPlane],
    db: psycopg.Connection,
    s3: S3Client,
) -> None:
    executor = executor_plane(pipeline.pool)
    run_id, ids = _run_with_artifacts(
        service_plane, executor, pipeline, s3, {"free.csv": None, "locked.csv": ObjectLock("COMPLIANCE", 1)}
    )
    rows = {a.name: a for a in service_plane.artifacts(run_id=run_id)}
    free, locked = rows["free.csv"], rows["locked.csv"]
    assert free.version_id
    assert locked.version_id
    service_plane.set_retention_policy(pipeline.workspace_id, artifacts_after_days=1)

    # Nothing is due yet: the objects are younger than a day.
    early = expire_artifacts(service_plane, s3, "pytest", workspace_id=pipeline.workspace_id, as_of=datetime.now(UTC))
    assert early.claimed == 0
    assert _version_exists(s3, free.uri, free.version_id)

    later = datetime.now(UTC) + 2 * DAY
    tally = expire_artifacts(service_plane, s3, "pytest", workspace_id=pipeline.workspace_id, as_of=later)
    assert tally.deleted == 1
    assert tally.locked == 1
    assert tally.failed == 0

    # The expired object's version is gone from S3; the locked one is still there (Object Lock).
    assert not _version_exists(s3, free.uri, free.version_id)
    assert _version_exists(s3, locked.uri, locked.version_id)
    bucket, _, key = free.uri.removeprefix("s3://").partition("/")
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    assert free.version_id not in {v["VersionId"] for v in versions}

    # Recorded: one expiry per artifact, one purge row; the locked one waits, with the reason.
    expiry = db.execute(
        "select outcome, version_id, expired_by from public.artifact_expiries where artifact_id = %s",
        (ids["free.csv"],),
    ).fetchone()
    assert expiry == ("deleted", free.version_id, "pytest")
    purges = db.execute(
        "select what, rows_purged from public.retention_purges where workspace_id = %s", (pipeline.workspace_id,)
    ).fetchall()
    assert purges == [("artifact_objects", 1)]
    waiting = db.execute(
        "select status, last_outcome, retain_until > now() from public.artifact_expiry_queue where artifact_id = %s",
        (ids["locked.csv"],),
    ).fetchone()
    assert waiting == ("pending", "locked", True)
    assert db.execute("select count(*) from public.artifacts where run_id = %s", (run_id,)).fetchone() == (2,)

    # verify: expired, not missing; the locked one is ok; the command passes.
    done = run_cli("artifacts", "verify", run_id, "--json")
    assert done.code == 0, done.stderr
    verdicts = {v["name"]: v for v in done.json()}
    assert verdicts["free.csv"]["status"] == "expired"
    assert verdicts["free.csv"]["ok"] is True
    assert verdicts["locked.csv"]["status"] == "ok"
    failed = db.execute(
        "select count(*) from public.run_events where run_id = %s and type = 'artifact.verification_failed'", (run_id,)
    ).fetchone()
    assert failed == (0,)


def test_a_crash_between_the_delete_and_the_confirmation_loses_nothing(
    service_plane: ControlPlane,
    pipeline: Pipeline,
    executor_plane: Callable[[str], ControlPlane],
    db: psycopg.Connection,
    s3: S3Client,
) -> None:
    executor = executor_plane(pipeline.pool)
    run_id, ids = _run_with_artifacts(service_plane, executor, pipeline, s3, {"crash.csv": None})
    [row] = service_plane.artifacts(run_id=run_id)
    assert row.version_id
    service_plane.set_retention_policy(pipeline.workspace_id, artifacts_after_days=1)
    at = datetime.now(UTC) + 2 * DAY

    # A process claims, deletes the version from S3, and dies before confirming.
    claims = service_plane.claim_artifact_expiries(
        f"crashed-{uuid.uuid4().hex[:6]}", 1000, 10, workspace_id=pipeline.workspace_id, as_of=at
    )
    mine = [c for c in claims.expiries if str(c.artifact_id) == ids["crash.csv"]]
    assert len(mine) == 1
    assert delete_recorded_version(s3, mine[0].uri, mine[0].version_id).outcome == "deleted"
    assert db.execute(
        "select count(*) from public.artifact_expiries where artifact_id = %s", (ids["crash.csv"],)
    ).fetchone() == (0,)

    # Its lease runs out; the next apply redoes the (idempotent) delete and records it.
    tally = expire_artifacts(
        service_plane, s3, "pytest", workspace_id=pipeline.workspace_id, as_of=at + timedelta(seconds=11)
    )
    assert tally.already_gone == 1
    assert db.execute(
        "select outcome, version_id from public.artifact_expiries where artifact_id = %s", (ids["crash.csv"],)
    ).fetchone() == ("already_gone", row.version_id)
    assert json.loads(run_cli("artifacts", "verify", run_id, "--json").stdout)[0]["status"] == "expired"


def test_the_commands_set_the_policy_and_apply_it(
    service_plane: ControlPlane, pipeline: Pipeline, db: psycopg.Connection
) -> None:
    slug = db.execute("select slug from public.workspaces where id = %s", (pipeline.workspace_id,)).fetchone()
    assert slug is not None
    done = run_cli("retention", "set", "--workspace", slug[0], "--artifacts-days", "30", "--verifications-days", "7")
    assert done.code == 0, done.stderr
    assert "artifact objects 30 days" in done.stdout
    assert db.execute(
        "select events_after_days, artifacts_after_days, verifications_after_days from public.retention_policies "
        "where workspace_id = %s",
        (pipeline.workspace_id,),
    ).fetchone() == (None, 30, 7)
    refused = run_cli("retention", "set", "--workspace", slug[0], "--artifacts-days", "-1")
    assert refused.code == 1
    assert "22023" in refused.stderr
    assert "retention is 1 to 36500 days" in refused.stderr
    applied = run_cli(
        "retention", "apply", "--workspace", slug[0], "--json"
    )  # nothing of this workspace is 30 days old
    assert applied.code == 0, applied.stderr
    assert applied.json()["failed"] == 0
