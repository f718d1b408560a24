"""Real `controlroom worker` processes against the real local stack: specs, runs and workers per test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from controlroom.client.control_plane import ControlPlane
from controlroom.specs.canonical import canonical_body
from controlroom.specs.load import parse_spec

PY = sys.executable


@dataclass(frozen=True)
class Queue:
    """A workspace + pool + spec of a test's own: nothing else claims from it."""

    workspace_id: str
    pool: str
    spec_name: str
    plane: ControlPlane

    def submit(self, params: dict[str, Any] | None = None) -> str:
        return str(self.plane.submit_run(self.workspace_id, spec_name=self.spec_name, params=params).id)

    def run(self, run_id: str) -> dict[str, Any]:
        rows = self.plane.select("runs", filters={"id": f"eq.{run_id}"})
        assert len(rows) == 1
        return rows[0]

    def events(self, run_id: str) -> list[dict[str, Any]]:
        return self.plane.select("run_events", filters={"run_id": f"eq.{run_id}"}, order="ts")

    def attempts(self, run_id: str) -> list[dict[str, Any]]:
        return self.plane.select("run_attempts", filters={"run_id": f"eq.{run_id}"}, order="attempt_no")

    def artifacts(self, run_id: str) -> list[dict[str, Any]]:
        return self.plane.select("artifacts", filters={"run_id": f"eq.{run_id}"}, order="created_at")

    def wait_for(self, run_id: str, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(run_id)
            if run["status"] in statuses or time.monotonic() > deadline:
                return run
            time.sleep(0.1)


@pytest.fixture
def make_queue(service_plane: ControlPlane) -> Callable[..., Queue]:
    def make(phases: list[dict[str, Any]], **settings: Any) -> Queue:
        suffix = uuid.uuid4().hex[:10]
        workspace = service_plane.create_workspace(f"w-{suffix}", name=f"worker test {suffix}")
        pool = f"pool-{suffix}"
        spec = parse_spec(
            {
                "name": "worker-test",
                "version": 1,
                "workspace": workspace.slug,
                "pool": pool,
                "phases": phases,
                **settings,
            },
            "test spec",
        )
        service_plane.publish_spec(workspace.id, spec.name, "1", canonical_body(spec))
        return Queue(str(workspace.id), pool, spec.name, service_plane)

    return make


@pytest.fixture
def start_worker() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    exe = shutil.which("controlroom", path=str(Path(sys.executable).parent)) or shutil.which("controlroom")
    assert exe, "controlroom must be installed (scripts/setup)"

    def start(pool: str, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [exe, "worker", "--pool", pool, *args],
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stderr:
            proc.stderr.close()


def requeue_now(database_url: str, workspace_id: str) -> dict[str, Any]:
    """What pg_cron does every 5 s, done now (for one workspace: other tests share the database).
    The cron job may have swept a lease first: assert on the run and its attempts, not on which
    sweep's summary counted it."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("select public.requeue_stale_runs(null, %s)", (workspace_id,)).fetchone()
    assert row is not None
    result: dict[str, Any] = row[0]
    return result


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def shell(*argv: str, **caps: Any) -> dict[str, Any]:
    return {"name": caps.pop("name", "work"), "kind": "shell", "argv": list(argv), "caps": caps}
