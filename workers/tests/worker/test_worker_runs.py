"""The worker end to end: real processes, the gateway, S3; --once, two phases, caps, cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.worker.conftest import PY, Queue, shell, wait_until


def test_once_drains_the_queue_and_exits_zero(make_queue: Callable[..., Queue], start_worker: Any) -> None:
    queue = make_queue([shell("echo", "one", name="first"), shell("echo", "two", name="second")])
    runs = [queue.submit() for _ in range(3)]
    worker = start_worker(queue.pool, "--once", "--concurrency", "2")
    assert worker.wait(timeout=60) == 0
    assert [queue.run(r)["status"] for r in runs] == ["succeeded"] * 3
    types = [e["type"] for e in queue.events(runs[0])]
    assert types.count("phase.started") == 2
    assert types.count("phase.finished") == 2


def test_a_failing_phase_fails_the_run_after_its_retries(make_queue: Callable[..., Queue], start_worker: Any) -> None:
    queue = make_queue(
        [shell(PY, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)")],
        retries={"max_attempts": 2, "base_seconds": 0, "max_backoff_seconds": 0},
    )
    run = queue.submit()
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=60) == 0
    final = queue.run(run)
    assert final["status"] == "failed"
    assert [a["status"] for a in queue.attempts(run)] == ["failed", "failed"]


CAP_PHASES = {
    "wall_time": shell("sleep", "30", wall_seconds=1, kill_grace_seconds=1),
    "cpu_time": shell(PY, "-c", "while True: pass", cpu_seconds=1, kill_grace_seconds=1),
    "memory": shell(
        PY,
        "-c",
        "import time\nb = []\nwhile True: b.append(bytearray(8 * 2**20)); time.sleep(0.01)",
        memory_bytes=150 * 2**20,
        kill_grace_seconds=1,
    ),
    "output_bytes": shell(
        PY, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)", output_bytes=256 * 1024, kill_grace_seconds=1
    ),
}

LIMITS = {"wall_time": 1, "cpu_time": 1, "memory": 150 * 2**20, "output_bytes": 256 * 1024}


@pytest.mark.parametrize("cap", sorted(CAP_PHASES))
def test_each_cap_kind_terminates_the_phase_and_is_recorded(
    cap: str, make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    queue = make_queue([CAP_PHASES[cap]], retries={"max_attempts": 3, "base_seconds": 0, "max_backoff_seconds": 0})
    run = queue.submit()
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=60) == 0
    final = queue.run(run)
    assert final["status"] == "failed"
    # A cap breach is not retried: the same phase would breach the same cap again.
    assert len(queue.attempts(run)) == 1
    breaches = [e for e in queue.events(run) if e["type"] == "cap.exceeded"]
    assert len(breaches) == 1
    payload = breaches[0]["payload"]
    assert payload["cap"] == cap
    assert payload["limit"] == LIMITS[cap]
    if cap == "memory":
        # RLIMIT_AS refuses the allocation that would cross the limit, so the process never gets
        # past it; the measured value is the largest size sampled before the refusal.
        assert 0 < payload["measured"] <= payload["limit"]
    else:
        assert payload["measured"] >= payload["limit"]
    finished = [e for e in queue.events(run) if e["type"] == "phase.finished"]
    assert finished
    assert finished[0]["payload"]["status"] == "cap_exceeded"
    attempt = queue.attempts(run)[0]
    assert "cap_exceeded" in (attempt.get("error_class") or "")


def test_cancel_stops_the_running_phase_and_is_confirmed(make_queue: Callable[..., Queue], start_worker: Any) -> None:
    queue = make_queue([shell("sleep", "60")])
    run = queue.submit()
    worker = start_worker(queue.pool, "--heartbeat", "0.3")
    assert wait_until(lambda: queue.run(run)["status"] == "running", 30)
    queue.plane.cancel_run(run, "test cancels")
    final = queue.wait_for(run, {"cancelled"}, timeout=30)
    assert final["status"] == "cancelled"
    worker.terminate()
    assert worker.wait(timeout=30) == 0
