"""Private stacks for the outage tests: they stop Postgres, the API and S3, so they never touch the
shared test stack. Ports 29600-29640 are theirs; every test here is in the xdist group "chaos", so
they run one after the other on one pytest worker."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from controlroom.chaos.stack import Ports, PrivateStack
from controlroom.client.control_plane import ControlPlane
from controlroom.specs.canonical import canonical_body
from controlroom.specs.load import parse_spec

OUTAGE_PORT_BASE = 29620  # pg 29622, api 29621, s3 29629, page 29623 (the chaos run uses 29600-29609)


@pytest.fixture(scope="module")
def outage_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateStack]:
    stack = PrivateStack(tmp_path_factory.mktemp("outage-stack"), Ports.from_base(OUTAGE_PORT_BASE), durable=False)
    stack.up()
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture
def outage_service(outage_stack: PrivateStack) -> Iterator[ControlPlane]:
    plane = ControlPlane.connect(outage_stack.env["SUPABASE_URL"], outage_stack.env["SUPABASE_SERVICE_ROLE_KEY"])
    yield plane
    plane.close()


@pytest.fixture
def outage_queue(outage_service: ControlPlane) -> Callable[..., tuple[str, str]]:
    """A workspace and pool of the test's own with a published spec `t`: returns (workspace_id, pool)."""

    def make(phases: list[dict[str, Any]], **settings: Any) -> tuple[str, str]:
        suffix = uuid.uuid4().hex[:10]
        workspace = outage_service.create_workspace(f"o-{suffix}", name=f"outage {suffix}")
        pool = f"pool-{suffix}"
        body = {"name": "t", "version": 1, "workspace": workspace.slug, "pool": pool, "phases": phases, **settings}
        outage_service.publish_spec(workspace.id, "t", "1", canonical_body(parse_spec(body, "test spec")))
        return str(workspace.id), pool

    return make


@pytest.fixture
def outage_worker(outage_stack: PrivateStack, tmp_path: Path) -> Iterator[Callable[..., tuple[Any, Path]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(pool: str, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"worker-{len(started)}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "controlroom.cli", "worker", "--pool", pool],
                env=outage_stack.env | env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(proc)
        deadline = time.monotonic() + 60
        while '"executor.registered"' not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the worker did not register"
            time.sleep(0.2)
        return proc, log

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
