"""A private, throwaway Postgres cluster per test for the gates that replay migrations."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from controlroom.localstack.postgres import Cluster
from controlroom.localstack.secrets import StackSecrets
from controlroom.settings import StackSettings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def fresh_cluster(tmp_path: Path) -> Iterator[Cluster]:
    base = StackSettings.from_env()
    settings = StackSettings(
        state_dir=tmp_path / "state",
        pg_port=_free_port(),
        api_port=0,
        s3_port=0,
        pg_bindir=base.pg_bindir,
        s3_endpoint_url=None,
        bucket=base.bucket,
    )
    os.environ.setdefault("CONTROLROOM_PG_FAST", "1")
    cluster = Cluster(settings, StackSecrets.load_or_create(settings.state_dir))
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()
