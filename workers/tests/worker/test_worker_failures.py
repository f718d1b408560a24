"""What must survive: kill -9, a frozen (zombie) worker, and SIGTERM with and without patience.

These use real time: the shortest heartbeat tolerance a spec may set is 30 s, so the kill -9 and
zombie tests each take about half a minute (they run in parallel with the rest of the suite).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.worker.conftest import PY, Queue, requeue_now, wait_until

TOLERANCE = 30


def _phase_pids(marker: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker.encode() in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


def _sleeper(marker: str, first_attempt_seconds: float, later_seconds: float) -> dict[str, Any]:
    """A phase that sleeps long on attempt 1 and briefly on later attempts."""
    code = "import sys, time; time.sleep(float(sys.argv[2]) if sys.argv[1] == '1' else float(sys.argv[3]))"
    return {
        "name": "sleep",
        "kind": "shell",
        "argv": [PY, "-c", code, "${run.attempt}", str(first_attempt_seconds), str(later_seconds), marker],
    }


def _wait_running(queue: Queue, run: str) -> None:
    assert wait_until(lambda: queue.run(run)["status"] == "running", 30), queue.run(run)
    # Let the event flusher (1 s) ship phase.started before anything drastic happens.
    time.sleep(1.5)


def _wait_lease_expired(queue: Queue, run: str) -> None:
    attempts = queue.attempts(run)
    expires = datetime.fromisoformat(attempts[-1]["lease_expires_at"])
    delay = (expires - datetime.now(expires.tzinfo)).total_seconds()
    time.sleep(max(0.0, delay) + 0.5)


def test_kill_9_mid_phase_loses_nothing_and_another_worker_finishes(
    make_queue: Callable[..., Queue], start_worker: Any, database_url: str
) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    queue = make_queue(
        [_sleeper(marker, 8, 0.2)],
        heartbeat_tolerance_seconds=TOLERANCE,
        retries={"max_attempts": 3, "base_seconds": 0, "max_backoff_seconds": 0},
    )
    run = queue.submit()
    first = start_worker(queue.pool, "--heartbeat", "1")
    _wait_running(queue, run)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    _wait_lease_expired(queue, run)
    # This sweep or pg_cron's (every 5 s, it may come first) closes the dead lease and requeues the
    # run exactly once: attempt 1 lost, the run queued again, before any other worker runs.
    # When pg_cron's sweep is mid-way it holds the run's row and this one skips it: wait for its commit.
    summary = requeue_now(database_url, queue.workspace_id)
    assert summary["requeued"] in (0, 1)
    assert wait_until(lambda: queue.run(run)["status"] == "queued", 15), queue.run(run)
    assert [a["status"] for a in queue.attempts(run)] == ["lost"]
    second = start_worker(queue.pool, "--once")
    assert second.wait(timeout=60) == 0

    assert queue.run(run)["status"] == "succeeded"
    attempts = queue.attempts(run)
    assert [a["status"] for a in attempts] == ["lost", "succeeded"]
    by_attempt: dict[str, list[str]] = {}
    for event in queue.events(run):
        by_attempt.setdefault(event["attempt_id"], []).append(event["type"])
    assert "phase.started" in by_attempt[attempts[0]["id"]]  # acknowledged before the kill: kept
    assert "attempt.lost" in by_attempt[attempts[0]["id"]]
    assert {"phase.started", "phase.finished"} <= set(by_attempt[attempts[1]["id"]])


def test_a_frozen_worker_is_fenced_and_stops_its_phase_on_resume(
    make_queue: Callable[..., Queue], start_worker: Any, database_url: str
) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    queue = make_queue(
        [_sleeper(marker, 120, 0.2)],
        heartbeat_tolerance_seconds=TOLERANCE,
        retries={"max_attempts": 3, "base_seconds": 0, "max_backoff_seconds": 0},
    )
    run = queue.submit()
    zombie = start_worker(queue.pool, "--heartbeat", "1")
    _wait_running(queue, run)
    os.kill(zombie.pid, signal.SIGSTOP)
    try:
        _wait_lease_expired(queue, run)
        # pg_cron's sweep (every 5 s) may get there first: either way the attempt is lost. When it is
        # mid-way, its row lock makes this sweep skip the run, so wait for whichever commits.
        requeue_now(database_url, queue.workspace_id)
        assert wait_until(lambda: [a["status"] for a in queue.attempts(run)] == ["lost"], 15), queue.attempts(run)
        rescuer = start_worker(queue.pool, "--once")
        assert rescuer.wait(timeout=60) == 0
        assert queue.run(run)["status"] == "succeeded"
        assert _phase_pids(marker), "the zombie's phase is still running while it is frozen"
    finally:
        os.kill(zombie.pid, signal.SIGCONT)
    # On resume the zombie learns that its lease is gone and stops the phase.
    assert wait_until(lambda: not _phase_pids(marker), 15), "the zombie did not stop its phase"
    attempts = queue.attempts(run)
    assert [a["status"] for a in attempts] == ["lost", "succeeded"]
    assert queue.run(run)["status"] == "succeeded"
    # Whatever the zombie still tried to write was refused and recorded against its own attempt.
    rejected = [e for e in queue.events(run) if e["type"] == "lease.rejected"]
    assert all(e["attempt_id"] == attempts[0]["id"] for e in rejected)
    zombie.send_signal(signal.SIGTERM)
    assert zombie.wait(timeout=30) == 0


def test_sigterm_lets_a_running_phase_finish_within_the_grace(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    queue = make_queue([_sleeper(marker, 3, 3)])
    run = queue.submit()
    worker = start_worker(queue.pool, "--grace", "30")
    _wait_running(queue, run)
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert time.monotonic() - started < 30
    assert queue.run(run)["status"] == "succeeded"


def test_sigterm_past_the_grace_hands_the_run_back_as_retryable(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    queue = make_queue(
        [_sleeper(marker, 120, 120)], retries={"max_attempts": 3, "base_seconds": 0, "max_backoff_seconds": 0}
    )
    run = queue.submit()
    worker = start_worker(queue.pool, "--grace", "1")
    _wait_running(queue, run)
    worker.send_signal(signal.SIGTERM)
    # grace 1 s + the phase's kill grace (5 s default) + reporting
    assert worker.wait(timeout=20) == 0
    assert not _phase_pids(marker)
    final = queue.run(run)
    assert final["status"] == "queued"
    attempts = queue.attempts(run)
    assert [a["status"] for a in attempts] == ["failed"]
    assert attempts[0]["error_class"] == "ExecutorShutdown"


def test_a_second_sigterm_exits_at_once_and_leaves_a_consistent_state(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    queue = make_queue([_sleeper(marker, 120, 120)])
    run = queue.submit()
    worker = start_worker(queue.pool, "--grace", "60")
    _wait_running(queue, run)
    worker.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    code = worker.wait(timeout=10)
    assert time.monotonic() - started < 3
    assert code == 128 + signal.SIGTERM
    assert wait_until(lambda: not _phase_pids(marker), 5), "no phase may outlive its executor"
    # Nothing was reported: the run is still held by the (dead) attempt until its lease goes
    # stale, when requeue_stale_runs hands it to another executor. That is a state the machine
    # knows how to leave; nothing is half-written.
    assert queue.run(run)["status"] == "running"
    assert [a["status"] for a in queue.attempts(run)] == ["running"]
