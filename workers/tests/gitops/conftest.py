"""A private, throwaway Postgres cluster per test for the gates that replay migrations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from controlroom.gitops.catalog import throwaway_cluster
from controlroom.localstack.postgres import Cluster


@pytest.fixture
def fresh_cluster(tmp_path: Path) -> Iterator[Cluster]:
    with throwaway_cluster(tmp_path / "state") as cluster:
        yield cluster
