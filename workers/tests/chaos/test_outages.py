"""The client and the worker through real outages of a private stack (issue 17, items 1 and 3):
Postgres stopped under the gateway answers 503 PGRST001, which is Unavailable (retryable, not fatal),
idempotent calls ride it out, a worker keeps its process through Postgres and API restarts, and a run
whose outputs cannot be stored fails retryable with artifact_store_unavailable, never succeeded."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from controlroom.chaos.stack import PrivateStack
from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import Unavailable, is_fatal
from controlroom.client.transport import RetryPolicy, Transport
from controlroom.executor.run import ARTIFACT_STORE_UNAVAILABLE

pytestmark = pytest.mark.xdist_group("chaos")


def _plane(stack: PrivateStack, retry: RetryPolicy, sleeps: list[float] | None = None) -> ControlPlane:
    sleep: Callable[[float], None] = time.sleep if sleeps is None else sleeps.append
    return ControlPlane(
        Transport(stack.env["SUPABASE_URL"], stack.env["SUPABASE_SERVICE_ROLE_KEY"], retry=retry, sleep=sleep)
    )


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_postgres_down_under_the_gateway_is_unavailable_and_only_idempotent_calls_are_retried(
    outage_stack: PrivateStack,
) -> None:
    sleeps: list[float] = []
    plane = _plane(outage_stack, RetryPolicy(attempts=3, base_seconds=0.01, max_seconds=0.01), sleeps)
    outage_stack.postgres_stop("fast")
    try:
        with pytest.raises(Unavailable) as refused:
            plane.requeue_stale_runs()  # idempotent
        assert refused.value.code == "PGRST001"
        assert not is_fatal(refused.value)
        assert len(sleeps) == 2  # three tries in all
        sleeps.clear()
        with pytest.raises(Unavailable):
            plane.create_workspace(f"x-{uuid.uuid4().hex[:8]}")  # not idempotent: the caller decides
        assert sleeps == []
    finally:
        outage_stack.postgres_start()
        plane.close()


def test_an_idempotent_call_rides_out_a_postgres_restart(outage_stack: PrivateStack) -> None:
    plane = _plane(outage_stack, RetryPolicy(attempts=40, base_seconds=0.2, max_seconds=0.5))
    outage_stack.postgres_stop("immediate")
    restart = threading.Timer(3.0, outage_stack.postgres_start)
    restart.start()
    try:
        began = time.monotonic()
        assert isinstance(plane.requeue_stale_runs(), dict)
        assert time.monotonic() - began >= 2.5  # it did wait for Postgres
    finally:
        restart.join()
        plane.close()


def test_a_worker_keeps_running_through_postgres_and_api_restarts_and_then_runs_work(
    outage_stack: PrivateStack,
    outage_service: ControlPlane,
    outage_queue: Callable[..., tuple[str, str]],
    outage_worker: Callable[..., tuple[Any, Path]],
) -> None:
    workspace_id, pool = outage_queue([{"name": "hi", "kind": "shell", "argv": ["echo", "hi"]}])
    # Polling only (no push wake-ups), so that claims certainly meet the outage.
    proc, log = outage_worker(pool, CONTROLROOM_WAKEUPS="off")
    outage_stack.postgres_stop("fast")
    time.sleep(4)  # several claims refused with 503 PGRST001 meanwhile
    outage_stack.postgres_start()
    outage_stack.api_restart(down_seconds=2)
    time.sleep(2)
    assert proc.poll() is None, log.read_text()[-3000:]
    run = outage_service.submit_run(workspace_id, spec_name="t")
    assert _wait(lambda: outage_service.select("runs", filters={"id": f"eq.{run.id}"})[0]["status"] == "succeeded", 60)
    text = log.read_text()
    assert '"claim.failed"' in text  # the outage was seen...
    assert '"claim.refused"' not in text  # ...and not taken for a refusal
    assert proc.poll() is None


def test_a_run_whose_outputs_cannot_be_stored_fails_retryable_and_is_run_again(
    outage_stack: PrivateStack,
    outage_service: ControlPlane,
    outage_queue: Callable[..., tuple[str, str]],
    outage_worker: Callable[..., tuple[Any, Path]],
) -> None:
    code = "import sys, time; time.sleep(3 if sys.argv[1] == '1' else 0)"
    workspace_id, pool = outage_queue(
        [{"name": "work", "kind": "shell", "argv": ["python3", "-c", code, "${run.attempt}"]}],
        retries={"max_attempts": 5, "base_seconds": 1, "max_backoff_seconds": 1},
    )
    # Shared credentials: the outage hits the upload itself, not the per-run STS call before it.
    proc, log = outage_worker(
        pool,
        CONTROLROOM_STORAGE_CREDENTIALS="shared",
        CONTROLROOM_ARTIFACT_RETRY_SECONDS="2",
        CONTROLROOM_S3_TIMEOUT_SECONDS="1",
    )
    run = outage_service.submit_run(workspace_id, spec_name="t")
    runs = {"id": f"eq.{run.id}"}
    assert _wait(lambda: outage_service.select("runs", filters=runs)[0]["status"] == "running", 30)
    outage_stack.s3_signal(signal.SIGSTOP)
    try:
        assert _wait(lambda: outage_service.run_attempts(run.id)[0].status == "failed", 60), log.read_text()[-3000:]
    finally:
        outage_stack.s3_signal(signal.SIGCONT)
    first = outage_service.run_attempts(run.id)[0]
    assert first.error_class == ARTIFACT_STORE_UNAVAILABLE
    assert first.retryable is True
    assert _wait(lambda: outage_service.select("runs", filters=runs)[0]["status"] == "succeeded", 60)
    attempts = outage_service.run_attempts(run.id)
    assert [a.status for a in attempts].count("succeeded") == 1
    last = attempts[-1]
    names = {a.name for a in outage_service.artifacts(run_id=run.id) if a.attempt_id == last.id}
    assert {"logs/stdout.log", "logs/stderr.log"} <= names
    assert proc.poll() is None
