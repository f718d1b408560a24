"""Fixtures for control-plane concurrency proofs: real connections, real RPCs, no mocks.

Each test gets its own workspace and pool (names carry a uuid), so tests can run in parallel
with any other suite on one shared database; the workspace is purged afterwards. Executors are
simulated the way PostgREST runs a request: a transaction that sets the role and
request.jwt.claims locally, then calls the RPC.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row


@dataclass(frozen=True)
class World:
    workspace_id: uuid.UUID
    pool: str
    spec_name: str


@dataclass(frozen=True)
class Executor:
    id: uuid.UUID
    claims: dict[str, str]


def connect(database_url: str) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(database_url, autocommit=True, row_factory=dict_row)


def as_executor(
    conn: psycopg.Connection[dict[str, Any]], claims: dict[str, str], sql: str, params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """One PostgREST-style request as an executor: role + claims local to one transaction."""
    with conn.transaction():
        conn.execute(
            "select set_config('role', 'controlroom_executor', true), set_config('request.jwt.claims', %s, true)",
            [json.dumps(claims)],
        )
        return conn.execute(sql, params).fetchall()


def register_executor(conn: psycopg.Connection[dict[str, Any]], world: World) -> Executor:
    claims = {
        "role": "controlroom_executor",
        "sub": str(uuid.uuid4()),
        "pool": world.pool,
        "workspace_id": str(world.workspace_id),
    }
    row = as_executor(conn, claims, "select id from public.register_executor()")[0]
    return Executor(id=row["id"], claims=claims)


def submit_runs(
    conn: psycopg.Connection[dict[str, Any]], world: World, count: int, *, minutes_ago: int = 120
) -> list[uuid.UUID]:
    """Submit as the database owner (audited as service_role), back-dated so old claims see them."""
    rows = conn.execute(
        "select (public.submit_run(%s, %s, as_of => now() - make_interval(mins => %s))).id from generate_series(1, %s)",
        [world.workspace_id, world.spec_name, minutes_ago, count],
    ).fetchall()
    return [r["id"] for r in rows]


def stale_leases(
    conn: psycopg.Connection[dict[str, Any]], world: World, count: int, claimed_ago: str = "1 hour"
) -> Executor:
    """`count` runs claimed `claimed_ago` by one executor (tolerance 15 min): with the default every
    lease is stale now. Claimed just now, they are stale only for a sweep an hour ahead (as_of), so
    pg_cron's own sweep of every workspace (every 5 s) leaves them alone."""
    submit_runs(conn, world, count)
    executor = register_executor(conn, world)
    with conn.transaction():
        conn.execute(
            "select set_config('role', 'controlroom_executor', true), set_config('request.jwt.claims', %s, true)",
            [json.dumps(executor.claims)],
        )
        for _ in range(count // 100):
            conn.execute(
                "select 1 from public.claim_runs(%s, 100, as_of => now() - %s::interval)", [executor.id, claimed_ago]
            )
    return executor


def require_jit(conn: psycopg.Connection[dict[str, Any]]) -> None:
    """The tests that rely on JIT (to open a race window, or to show a plan was compiled) can only
    fail where it exists: the local stack's Postgres has it (Debian's postgresql-15 ships llvmjit)."""
    row = conn.execute("select pg_jit_available() as available, current_setting('jit') as jit").fetchone()
    assert row is not None
    assert row["available"], "JIT is unavailable in this Postgres (llvmjit.so missing)"
    assert row["jit"] == "on", "JIT is off in this Postgres (jit = off)"


@pytest.fixture
def make_world(database_url: str) -> Iterator[Any]:
    created: list[uuid.UUID] = []

    def make(body: dict[str, Any] | None = None) -> World:
        tag = uuid.uuid4().hex
        pool = f"pytest-{tag}"
        with connect(database_url) as conn:
            ws = conn.execute("select (public.create_workspace(%s)).id", [f"pytest-{tag}"]).fetchone()
            assert ws is not None
            created.append(ws["id"])
            spec_body = {"name": "etl", "version": "1", "pool": pool, **(body or {})}
            conn.execute("select public.publish_spec(%s, 'etl', '1', %s)", [ws["id"], json.dumps(spec_body)])
        return World(workspace_id=ws["id"], pool=pool, spec_name="etl")

    yield make
    with connect(database_url) as conn:
        for workspace_id in created:
            with conn.transaction():
                conn.execute("select private.purge_workspace(%s)", [workspace_id])
