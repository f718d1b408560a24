"""Fixtures for the spark phase tests: a private Sail server (ports 29650-29660) on the stack's S3, and a
fresh prefix per test.

Sail reads its S3 endpoint and credentials from its own environment; the test server gets the identity
the lakehouse tests use (the stack's admin keys from `eval "$(controlroom env)"`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from controlroom.lakehouse.storage import DataPlane
from controlroom.localstack.procs import port_is_free, start_service, stop_pidfile
from controlroom.localstack.spark import sail_binary, sail_env
from tests.lakehouse.conftest import S3_VARIABLES

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


@pytest.fixture(scope="session")
def sail_url(s3_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = sail_binary()
    if binary is None:
        pytest.fail("the sail command is missing: pip install 'pysail==0.7.2' (scripts/setup does)")
    # One port per xdist worker when run with -n, so workers never share a server.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    start = PORTS.start + (int(worker[2:]) if worker[2:].isdigit() else 0)
    port = next((p for p in range(start, PORTS.stop) if port_is_free(HOST, p)), None)
    if port is None:
        pytest.fail(f"no free port in {PORTS.start}-{PORTS.stop - 1} for a private Sail server")
    state: Path = tmp_path_factory.mktemp("sail")
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
    try:
        yield f"sc://{HOST}:{port}"
    finally:
        stop_pidfile(pidfile)


@pytest.fixture
def workspace_prefix(bucket: str) -> tuple[str, str]:
    """(workspace id, s3://<bucket>/<workspace id>/): a fresh workspace folder per test."""
    workspace = str(uuid.uuid4())
    return workspace, f"s3://{bucket}/{workspace}/"
