"""Shared fixtures: every test talks to the real local stack that scripts/test started.

The stack's coordinates come from the environment (`eval "$(controlroom env)"`), never from
defaults, so a test run can never touch a developer's own stack by accident.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import pytest

from controlroom import keys
from controlroom.client.control_plane import ControlPlane
from controlroom.settings import project_root
from controlroom.specs.canonical import canonical_body
from controlroom.specs.load import load_spec


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(
            f"{name} is not set: the tests need a running local stack. Use scripts/test, or run "
            '`controlroom up` and `eval "$(controlroom env)"` with a CONTROLROOM_STATE_DIR of your own.',
            returncode=2,
        )
    return value


@pytest.fixture(scope="session")
def database_url() -> str:
    return _require("DATABASE_URL")


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """A superuser connection whose work is rolled back at the end of the test."""
    with psycopg.connect(database_url) as conn:
        yield conn
        conn.rollback()


# -- the control plane over HTTP (the gateway), as services and executors use it ---------------


@pytest.fixture(scope="session")
def api_env() -> dict[str, str]:
    return {
        name: _require(name)
        for name in ("SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_JWT_SECRET")
    }


@pytest.fixture
def service_plane(api_env: dict[str, str]) -> Iterator[ControlPlane]:
    """The control plane as a trusted service (service-role key)."""
    plane = ControlPlane.connect(api_env["SUPABASE_URL"], api_env["SUPABASE_SERVICE_ROLE_KEY"])
    yield plane
    plane.close()


@pytest.fixture
def pipeline(service_plane: ControlPlane) -> Pipeline:
    """A fresh workspace and pool with the hello spec published in it: tests never share queues."""
    suffix = uuid.uuid4().hex[:10]
    spec = load_spec(project_root() / "specs" / "examples" / "hello.yaml")
    workspace = service_plane.create_workspace(f"t-{suffix}", name=f"test {suffix}")
    pool = f"pool-{suffix}"
    body = canonical_body(spec.model_copy(update={"workspace": workspace.slug, "pool": pool}))
    published = service_plane.publish_spec(workspace.id, spec.name, str(spec.version), body)
    return Pipeline(workspace_id=str(workspace.id), pool=pool, spec_name=spec.name, spec_hash=published.spec_hash)


@pytest.fixture
def executor_plane(api_env: dict[str, str]) -> Iterator[Callable[[str], ControlPlane]]:
    """ControlPlane clients authenticated as executors of a pool (anon key + executor JWT)."""
    opened: list[ControlPlane] = []

    def make(pool: str) -> ControlPlane:
        token = keys.executor_token(api_env["SUPABASE_JWT_SECRET"], pool=pool, ttl_seconds=3600)
        plane = ControlPlane.connect(api_env["SUPABASE_URL"], api_env["SUPABASE_ANON_KEY"], access_token=token)
        opened.append(plane)
        return plane

    yield make
    for plane in opened:
        plane.close()


@dataclass(frozen=True)
class Pipeline:
    workspace_id: str
    pool: str
    spec_name: str
    spec_hash: str
