"""Spark phases through a real `controlroom worker` and the control plane: the worker maps the spec's
engine name to the private Sail server (CONTROLROOM_SPARK_ENDPOINTS), the phase runs with the run's vended,
workspace-scoped credentials, and its result, failure or missing engine ends the run as it should."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from deltalake import DeltaTable

from controlroom.lakehouse.storage import DataPlane
from tests.worker.conftest import Queue

OUT = "s3://${run.bucket}/${run.workspace}/spark/out"


def _phase(**fields: Any) -> dict[str, Any]:
    return {"name": "spark", "kind": "spark", "output": {"uri": OUT}, "caps": {"wall_seconds": 120}, **fields}


def test_a_spark_run_succeeds_and_its_delta_output_reads_back(
    make_queue: Callable[..., Queue],
    start_worker: Any,
    sail_url: str,
    plane: DataPlane,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONTROLROOM_SPARK_ENDPOINTS", f"default={sail_url}")
    queue = make_queue([_phase(query="select id, id * id as square from range(7)")])
    run = queue.submit()
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=120) == 0
    final = queue.run(run)
    assert final["status"] == "succeeded", queue.attempts(run)
    location, options = plane.delta_location(f"s3://{bucket}/{queue.workspace_id}/spark/out")
    rows = DeltaTable(location, storage_options=options).to_pyarrow_table().sort_by("id").to_pylist()
    assert rows[-1] == {"id": 6, "square": 36}
    names = {a["name"] for a in queue.artifacts(run)}
    assert "result.json" in names  # the lineage record, as for sql phases


def test_a_failing_spark_job_fails_the_run_with_the_engines_message(
    make_queue: Callable[..., Queue], start_worker: Any, sail_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTROLROOM_SPARK_ENDPOINTS", f"default={sail_url}")
    queue = make_queue([_phase(query="select no_such_column from range(3)")], retries={"max_attempts": 1})
    run = queue.submit()
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=120) == 0
    assert queue.run(run)["status"] == "failed"
    attempt = queue.attempts(run)[0]
    assert attempt["error_class"] == "LakehouseError"
    assert "the Spark job failed: " in attempt["error_message"]
    assert "no_such_column" in attempt["error_message"]


def test_an_engine_the_executor_does_not_know_fails_the_run_without_retrying(
    make_queue: Callable[..., Queue], start_worker: Any, sail_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTROLROOM_SPARK_ENDPOINTS", f"default={sail_url}")
    queue = make_queue([_phase(query="select 1 as one", engine={"name": "huge"})], retries={"max_attempts": 3})
    run = queue.submit()
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=120) == 0
    assert queue.run(run)["status"] == "failed"
    attempts = queue.attempts(run)
    assert len(attempts) == 1
    assert attempts[0]["error_class"] == "SparkEngineNotConfigured"
    assert "no Spark engine 'huge' is configured" in attempts[0]["error_message"]
