"""Truthful executor health (executor_health): an idle worker keeps itself healthy by beating in the
period it declared, says draining when told to stop and stopped when it has exited."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import psycopg

from tests.worker.conftest import Queue


def _health(database_url: str, pool: str) -> list[dict[str, Any]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        cur = conn.execute(
            "select status, health, heartbeat_seconds, status_changed_at from public.executor_health where pool = %s",
            (pool,),
        )
        names = [c.name for c in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_an_idle_worker_stays_healthy_draining_then_stopped(
    make_queue: Callable[..., Queue],
    start_worker: Callable[..., subprocess.Popen[str]],
    database_url: str,
    monkeypatch: Any,
) -> None:
    queue = make_queue([{"name": "nap", "kind": "shell", "argv": ["sleep", "4"]}])
    # Wake-ups leave an idle worker nothing to claim for a minute: only its own beat keeps it live.
    monkeypatch.setenv("CONTROLROOM_FALLBACK_POLL_SECONDS", "60")
    worker = start_worker(queue.pool, "--heartbeat", "2")
    assert _wait(lambda: len(_health(database_url, queue.pool)) == 1, 30), "the worker did not register"
    assert _health(database_url, queue.pool)[0]["heartbeat_seconds"] == 2

    time.sleep(8)  # four periods: without its idle beat it would be lost by now (three)
    assert _health(database_url, queue.pool)[0]["health"] == "healthy"

    run_id = queue.submit()
    assert queue.wait_for(run_id, {"running"}, timeout=30)["status"] == "running"
    os.killpg(worker.pid, signal.SIGTERM)
    assert _wait(lambda: _health(database_url, queue.pool)[0]["health"] == "draining", 10), (
        "a worker finishing its run after SIGTERM says it is draining"
    )
    assert worker.wait(timeout=60) == 0
    assert queue.wait_for(run_id, {"succeeded"}, timeout=5)["status"] == "succeeded"
    final = _health(database_url, queue.pool)[0]
    assert (final["status"], final["health"]) == ("stopped", "stopped")
    assert final["status_changed_at"] is not None
