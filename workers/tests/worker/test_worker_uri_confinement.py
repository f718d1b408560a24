"""The cross-tenant read at the executor: a spec that names another workspace's folder, inserted past
publish_spec (superuser SQL), or a parameter that climbs out of the workspace, fails before any phase
starts, non-retryable, with the error class uri_outside_workspace; nothing is read or written."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import psycopg

from controlroom.specs.confine import URI_OUTSIDE_WORKSPACE
from tests.worker.conftest import Queue

BUCKET = os.environ.get("CONTROLROOM_BUCKET", "controlroom-artifacts")


def _admin_s3() -> Any:
    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])


def _copy_phase(source: str, target: str) -> dict[str, Any]:
    return {
        "name": "copy",
        "kind": "sql",
        "inputs": [{"name": "t", "uri": source, "format": "csv"}],
        "query": "select * from t",
        "output": {"uri": target, "format": "parquet"},
    }


def _assert_refused(queue: Queue, run: str, loot_key: str) -> None:
    final = queue.wait_for(run, {"succeeded", "failed"}, timeout=60)
    assert final["status"] == "failed", final
    attempts = queue.attempts(run)
    assert len(attempts) == 1, "non-retryable: no second attempt"
    assert attempts[0]["error_class"] == URI_OUTSIDE_WORKSPACE
    assert "is outside the workspace" in attempts[0]["error_message"] or "'..'" in attempts[0]["error_message"]
    assert not [e for e in queue.events(run) if e["type"] == "phase.started"], "no phase may start"
    listed = _admin_s3().list_objects_v2(Bucket=BUCKET, Prefix=loot_key)
    assert listed.get("KeyCount", 0) == 0, "nothing was written"


def test_a_spec_inserted_past_publish_that_reads_another_workspace_is_refused_by_the_executor(
    make_queue: Callable[..., Queue], start_worker: Any, database_url: str
) -> None:
    queue = make_queue([{"name": "noop", "kind": "shell", "argv": ["true"]}])
    victim = str(uuid.uuid4())
    _admin_s3().put_object(Bucket=BUCKET, Key=f"{victim}/lake/secret.csv", Body=b"card\n4111\n")
    body = {
        "name": "worker-test",
        "version": 2,
        "workspace": "whatever",
        "pool": queue.pool,
        "phases": [_copy_phase(f"s3://{BUCKET}/{victim}/lake/secret.csv", "s3://${run.bucket}/${run.workspace}/loot")],
    }
    with psycopg.connect(database_url, autocommit=True) as conn:  # superuser: no publish_spec checks
        conn.execute(
            "insert into public.pipeline_specs (workspace_id, name, version, body) values (%s, %s, '2', %s)",
            (queue.workspace_id, "worker-test", json.dumps(body)),
        )
    run = str(queue.plane.submit_run(queue.workspace_id, spec_name="worker-test", spec_version="2").id)
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=60) == 0
    _assert_refused(queue, run, f"{queue.workspace_id}/loot")


def test_a_parameter_that_climbs_out_of_the_workspace_is_refused_after_rendering(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    queue = make_queue(
        [
            _copy_phase(
                "s3://${run.bucket}/${run.workspace}/${params.folder}/t.csv", "s3://${run.bucket}/${run.workspace}/loot"
            )
        ],
        params={"type": "object", "properties": {"folder": {"type": "string", "default": "lake"}}},
    )
    victim = str(uuid.uuid4())
    run = queue.submit({"folder": f"../{victim}"})
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=60) == 0
    _assert_refused(queue, run, f"{queue.workspace_id}/loot")
