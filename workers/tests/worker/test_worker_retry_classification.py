"""Retry only what a retry can fix (issue 16): real workers, the real fail path in SQL.

Each spec allows three attempts with no backoff, so a failure that were retried would show up as
more than one attempt within the same `--once` drain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.worker.conftest import PY, Queue, shell

RETRIES = {"max_attempts": 3, "base_seconds": 0, "max_backoff_seconds": 0}


def _last_reason(queue: Queue, run: str) -> str:
    rows = queue.plane.select("run_transitions", filters={"run_id": f"eq.{run}"}, order="id")
    return str(rows[-1]["reason"])


def _drain(queue: Queue, start_worker: Any) -> None:
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=90) == 0


def test_an_entrypoint_that_cannot_be_imported_fails_after_one_attempt(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    phase = {"name": "load", "kind": "python", "entrypoint": "no_such_package_4c1e.jobs:main"}
    queue = make_queue([phase], retries=RETRIES)
    run = queue.submit()
    _drain(queue, start_worker)

    assert queue.run(run)["status"] == "failed"
    attempts = queue.attempts(run)
    assert [(a["status"], a["error_class"], a["retryable"]) for a in attempts] == [
        ("failed", "ModuleNotFoundError", False)
    ]
    assert "deterministic error (ModuleNotFoundError)" in _last_reason(queue, run)


def test_a_missing_entrypoint_function_fails_after_one_attempt(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    phase = {"name": "load", "kind": "python", "entrypoint": "json:no_such_function"}
    queue = make_queue([phase], retries=RETRIES)
    run = queue.submit()
    _drain(queue, start_worker)

    assert queue.run(run)["status"] == "failed"
    assert [a["error_class"] for a in queue.attempts(run)] == ["EntrypointMissing"]


def test_a_sql_catalog_error_fails_after_one_attempt(make_queue: Callable[..., Queue], start_worker: Any) -> None:
    phase = {
        "name": "gold",
        "kind": "sql",
        "query": "select * from a_table_nobody_declared",
        "output": {"uri": "s3://${run.bucket}/${run.workspace}/retry-test/out", "format": "parquet"},
    }
    queue = make_queue([phase], retries=RETRIES)
    run = queue.submit()
    _drain(queue, start_worker)

    assert queue.run(run)["status"] == "failed"
    attempts = queue.attempts(run)
    assert [a["error_class"] for a in attempts] == ["QueryRejected"]
    assert "a_table_nobody_declared" in attempts[0]["error_message"]


def test_a_transient_failure_is_retried_and_the_run_succeeds(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    # Attempt 1 dies as if the network went away; attempt 2 works.
    code = "import sys; sys.exit('connection reset by peer' if sys.argv[1] == '1' else 0)"
    queue = make_queue([shell(PY, "-c", code, "${run.attempt}", name="fetch")], retries=RETRIES)
    run = queue.submit()
    _drain(queue, start_worker)

    assert queue.run(run)["status"] == "succeeded"
    assert [a["status"] for a in queue.attempts(run)] == ["failed", "succeeded"]


def test_retry_on_retries_a_deterministic_class_the_phase_names(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    phase = {
        "name": "load",
        "kind": "python",
        "entrypoint": "no_such_package_4c1e.jobs:main",
        "retry_on": ["transient", "ModuleNotFoundError"],
    }
    queue = make_queue([phase], retries=RETRIES)
    run = queue.submit()
    _drain(queue, start_worker)

    assert queue.run(run)["status"] == "failed"
    assert [a["status"] for a in queue.attempts(run)] == ["failed"] * 3
    assert "retries exhausted" in _last_reason(queue, run)
