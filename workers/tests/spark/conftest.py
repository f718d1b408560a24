"""Fixtures for the spark phase tests: a private Sail server (ports 29650-29660) on the stack's S3, and a
fresh prefix per test.

Sail reads its S3 endpoint and credentials from its own environment; the test server gets the identity
the lakehouse tests use (the stack's admin keys from `eval "$(controlroom env)"`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from controlroom.lakehouse.storage import DataPlane
from controlroom.localstack.procs import port_is_free, start_service, stop_pidfile
from controlroom.localstack.spark import sail_binary, sail_env
from tests.lakehouse.conftest import S3_VARIABLES
from tests.worker.conftest import make_queue, start_worker  # noqa: F401  (real workers, for the end-to-end tests)

HOST = "127.0.0.1"
PORTS = range(29650, 29661)


@pytest.fixture(scope="session")
def s3_env() -> dict[str, str]:
    """The stack's S3 coordinates and admin identity (what the lakehouse tests use)."""
    missing = [name for name in S3_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.exit(f'{", ".join(missing)} not set: run `controlroom up` and `eval "$(controlroom env)"`', returncode=2)
    return {name: os.environ[name] for name in S3_VARIABLES}


@pytest.fixture(scope="session")
def plane(s3_env: dict[str, str]) -> DataPlane:
    return DataPlane.from_env(s3_env)


@pytest.fixture(scope="session")
def bucket(s3_env: dict[str, str]) -> str:
    return s3_env["CONTROLROOM_BUCKET"]


@dataclass(frozen=True)
class Sail:
    url: str
    pid: int
    pidfile: Path

    def cpu_seconds(self) -> float:
        """user+system CPU time of the server so far (to see whether it is still working on something)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="session")
def sail_url(sail: Sail) -> str:
    return sail.url


def _start_sail(s3_env: dict[str, str], state: Path) -> Sail:
    binary = sail_binary()
    if binary is None:
        pytest.fail("the sail command is missing: pip install 'pysail==0.7.2' (scripts/setup does)")
    # Any free port of the range: the session's server and a test's own can run side by side, and so can
    # xdist workers.
    port = next((p for p in PORTS if port_is_free(HOST, p)), None)
    if port is None:
        pytest.fail(f"no free port in {PORTS.start}-{PORTS.stop - 1} for a private Sail server")
    pidfile = state / "sail.pid"
    start_service(
        [binary, "spark", "server", "--ip", HOST, "--port", str(port)],
        pidfile=pidfile,
        logfile=state / "sail.log",
        env=sail_env(s3_env["S3_ENDPOINT_URL"], s3_env["AWS_ACCESS_KEY_ID"], s3_env["AWS_SECRET_ACCESS_KEY"]),
        host=HOST,
        port=port,
        what="the test Sail server",
        url=f"sc://{HOST}:{port}",
        hint="see its log",
    )
    return Sail(f"sc://{HOST}:{port}", int(pidfile.read_text().split()[0]), pidfile)


@pytest.fixture(scope="session")
def sail(s3_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sail]:
    server = _start_sail(s3_env, tmp_path_factory.mktemp("sail"))
    try:
        yield server
    finally:
        stop_pidfile(server.pidfile)


@pytest.fixture
def own_sail(s3_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sail]:
    """A server for one test that interrupts a job: Sail 0.7.2 lets an interrupted plan run on (docs/spark.md),
    so such a test gets a server that is stopped, with whatever still runs on it, when the test ends."""
    server = _start_sail(s3_env, tmp_path_factory.mktemp("own-sail"))
    try:
        yield server
    finally:
        stop_pidfile(server.pidfile)


@pytest.fixture
def workspace_prefix(bucket: str) -> tuple[str, str]:
    """(workspace id, s3://<bucket>/<workspace id>/): a fresh workspace folder per test."""
    workspace = str(uuid.uuid4())
    return workspace, f"s3://{bucket}/{workspace}/"
