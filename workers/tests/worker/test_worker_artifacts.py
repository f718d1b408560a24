"""A two-phase run through the gateway leaves verified, write-once artifacts with lineage."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

import pytest

from controlroom.artifacts import ArtifactExists, ArtifactKey, ArtifactRecord, ArtifactStore, Lineage, s3_client
from tests.worker.conftest import Queue


def _record(row: dict[str, Any]) -> ArtifactRecord:
    bucket, _, key = row["uri"].removeprefix("s3://").partition("/")
    workspace, run, attempt, phase, name = key.split("/", 4)
    return ArtifactRecord(
        key=ArtifactKey(workspace=workspace, run=run, attempt=int(attempt), phase=phase, name=name),
        bucket=bucket,
        uri=row["uri"],
        sha256=row["sha256"],
        size=row["size_bytes"],
        content_type=row["content_type"],
        lineage=Lineage.model_validate(row["lineage"]),
    )


def test_a_two_phase_run_leaves_verifiable_artifacts(make_queue: Callable[..., Queue], start_worker: Any) -> None:
    queue = make_queue(
        [
            {"name": "extract", "kind": "shell", "argv": ["echo", "rows=3"]},
            {
                "name": "greet",
                "kind": "python",
                "entrypoint": "controlroom.examples.hello:greet",
                "params": {"who": "artifacts", "run": "${run.id}"},
            },
        ]
    )
    run = queue.submit()
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=60) == 0
    assert queue.run(run)["status"] == "succeeded"

    rows = queue.artifacts(run)
    names = sorted((r["phase"], r["name"]) for r in rows)
    assert names == [
        ("extract", "logs/stderr.log"),
        ("extract", "logs/stdout.log"),
        ("greet", "logs/stderr.log"),
        ("greet", "logs/stdout.log"),
        ("greet", "result.json"),
    ]
    attempt = queue.attempts(run)[0]
    spec_hash = queue.plane.select("run_board", columns="spec_hash", filters={"run_id": f"eq.{run}"})[0]["spec_hash"]
    for row in rows:
        assert row["uri"].endswith(f"/{queue.workspace_id}/{run}/{attempt['attempt_no']}/{row['phase']}/{row['name']}")
        assert row["lineage"]["spec_hash"] == spec_hash
        assert row["lineage"]["producing_phase"] == row["phase"]

    store = ArtifactStore(s3_client(os.environ["S3_ENDPOINT_URL"]), os.environ["CONTROLROOM_BUCKET"])
    stdout = next(r for r in rows if (r["phase"], r["name"]) == ("extract", "logs/stdout.log"))
    assert store.verify(_record(stdout)).ok
    obj = store.client.get_object(Bucket=store.bucket, Key=stdout["uri"].split("/", 3)[3])
    assert obj["Body"].read() == b"rows=3\n"
    registered = [e for e in queue.events(run) if e["type"] == "artifact.registered"]
    assert len(registered) == len(rows)

    # Tampering behind the control plane's back (a direct overwrite, not a conditional put)...
    store.client.put_object(Bucket=store.bucket, Key=stdout["uri"].split("/", 3)[3], Body=b"rows=4\n")
    result = store.verify(_record(stdout))
    assert result.status == "mismatch"
    assert result.actual_sha256 != stdout["sha256"]
    # ...while the executor's own write path refuses to overwrite.
    with pytest.raises(ArtifactExists):
        store.put(_record(stdout).key, io.BytesIO(b"again"))
