"""Rerun and repair with lineage (issue 16), end to end: real workers, S3 and the flights medallion.

The medallion's silver_flights is made to fail the first time in a controlled way: the test's copy
of the spec gives it one more input, a reference file that does not exist yet. The repair from
silver_flights runs after the file is supplied, with the same spec version and params.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from controlroom.client.control_plane import ControlPlane
from controlroom.client.models import RepairPlan
from controlroom.executor.repairs import ReuseFailed, plan_reuse
from controlroom.specs.canonical import canonical_body
from controlroom.specs.load import parse_spec
from controlroom.specs.yamlio import load_yaml
from tests.worker.conftest import Queue

SPEC = Path(__file__).resolve().parents[3] / "specs" / "examples" / "flights_medallion.yaml"
BUCKET = os.environ.get("CONTROLROOM_BUCKET", "controlroom-artifacts")
BRONZE = ["land_raw", "bronze_flights", "bronze_airlines", "bronze_airports", "bronze_planes", "bronze_weather"]
AFTER = ["silver_flights", "gold_delays_by_carrier_month", "gold_delays_by_origin_weather", "quality"]
FIXES = "ref/carrier_fixes.csv"


def _s3() -> Any:
    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])


def _medallion_queue(service_plane: ControlPlane) -> Queue:
    body = load_yaml(SPEC.read_text(encoding="utf-8"), str(SPEC)).data
    assert isinstance(body, dict)
    suffix = uuid.uuid4().hex[:10]
    workspace = service_plane.create_workspace(f"w-{suffix}", name=f"repair test {suffix}")
    body.update(workspace=workspace.slug, pool=f"pool-{suffix}", retries={"max_attempts": 1})
    silver = next(p for p in body["phases"] if p["name"] == "silver_flights")
    silver["inputs"].append(
        {
            "name": "carrier_fixes",
            "uri": "s3://${run.bucket}/${run.workspace}/${params.lake_prefix}/" + FIXES,
            "format": "csv",
        }
    )
    spec = parse_spec(body, "medallion with a missing reference file")
    service_plane.publish_spec(workspace.id, spec.name, str(spec.version), canonical_body(spec))
    return Queue(str(workspace.id), f"pool-{suffix}", spec.name, service_plane)


def _started(queue: Queue, run: str) -> list[str]:
    return [e["phase"] for e in queue.events(run) if e["type"] == "phase.started"]


def test_a_failed_medallion_run_is_repaired_from_silver_reusing_the_checked_bronze_outputs(
    service_plane: ControlPlane, start_worker: Any
) -> None:
    queue = _medallion_queue(service_plane)
    run = queue.submit({"lake_prefix": "lake/repair"})
    assert start_worker(queue.pool, "--once").wait(timeout=600) == 0
    failed = queue.run(run)
    assert failed["status"] == "failed", failed
    assert _started(queue, run)[-1] == "silver_flights"

    # The repair supplies what silver lacked; nothing else changes (same spec version and params).
    _s3().put_object(
        Bucket=BUCKET, Key=f"{queue.workspace_id}/lake/repair/{FIXES}", Body=b"carrier,fixed_name\nUA,United\n"
    )
    repair = service_plane.repair_run(run, from_phase="silver_flights")
    mine, _ = service_plane.run_lineage(repair.id)
    assert mine is not None
    assert str(mine.parent_run_id) == run
    assert mine.kind == "repair"
    reused_phases = sorted({item.phase for item in mine.reused})
    assert reused_phases == sorted(BRONZE)
    assert all(str(item.run_id) == run for item in mine.reused), "each reused output names the run that made it"
    assert start_worker(queue.pool, "--once").wait(timeout=600) == 0

    done = queue.run(str(repair.id))
    assert done["status"] == "succeeded", done
    assert [a["status"] for a in queue.attempts(str(repair.id))] == ["succeeded"]
    assert _started(queue, str(repair.id)) == AFTER, "bronze is not executed again"
    reused = {e["phase"]: e["payload"] for e in queue.events(str(repair.id)) if e["type"] == "phase.reused"}
    assert sorted(reused) == sorted(BRONZE)
    recorded = {(a["uri"], a["sha256"]) for a in queue.artifacts(run)}
    for payload in reused.values():
        assert payload["artifacts"], "every reused phase had its recorded outputs checked"
        assert {(a["uri"], a["sha256"]) for a in payload["artifacts"]} <= recorded
    # The repair's own artifacts are its own; the parent lists it as a child.
    assert {a["phase"] for a in queue.artifacts(str(repair.id))} >= set(AFTER)
    assert not {a["phase"] for a in queue.artifacts(str(repair.id))} & set(BRONZE)
    _, children = service_plane.run_lineage(run)
    assert [str(c.run_id) for c in children] == [str(repair.id)]


def test_a_reused_artifact_whose_bytes_changed_fails_the_repair_clearly(api_env: dict[str, str]) -> None:
    s3 = _s3()
    key = f"tests/repair-{uuid.uuid4().hex}/1/bronze/result.json"
    body = json.dumps({"rows": 3}).encode()
    s3.put_object(Bucket=BUCKET, Key=key, Body=io.BytesIO(body))
    item = {
        "phase": "bronze",
        "artifact_id": str(uuid.uuid4()),
        "run_id": str(uuid.uuid4()),
        "attempt_id": str(uuid.uuid4()),
        "name": "result.json",
        "uri": f"s3://{BUCKET}/{key}",
        "sha256": hashlib.sha256(body).hexdigest(),
        "size_bytes": len(body),
    }
    plan = {"run_id": str(uuid.uuid4()), "kind": "repair", "from_phase": "silver", "reused": [item]}

    reuse = plan_reuse(RepairPlan.model_validate(plan), ["bronze", "silver"], s3)
    assert reuse.skipped == ("bronze",)
    assert reuse.results == {"bronze": {"rows": 3}}

    tampered = {**plan, "reused": [{**item, "sha256": hashlib.sha256(b"other bytes").hexdigest()}]}
    with pytest.raises(ReuseFailed, match="does not match its record: expected sha256"):
        plan_reuse(RepairPlan.model_validate(tampered), ["bronze", "silver"], s3)
    missing = {**plan, "reused": [{**item, "uri": f"s3://{BUCKET}/{key}.gone"}]}
    with pytest.raises(ReuseFailed, match="is missing from the store"):
        plan_reuse(RepairPlan.model_validate(missing), ["bronze", "silver"], s3)


def test_rerun_submits_the_same_spec_and_params_linked_to_its_parent(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    queue = make_queue([{"name": "echo", "kind": "shell", "argv": ["echo", "hi"]}])
    run = queue.submit()
    rerun = queue.plane.rerun_run(run)
    assert str(rerun.id) != run
    assert start_worker(queue.pool, "--once").wait(timeout=60) == 0
    assert queue.run(str(rerun.id))["status"] == "succeeded"
    mine, _ = queue.plane.run_lineage(rerun.id)
    assert mine is not None
    assert str(mine.parent_run_id) == run
    assert mine.kind == "rerun"
