"""Setting the scene as the database owner: workspaces, specs, bulk queues, stale leases, events.

Bulk paths write exactly the rows the RPCs would write (checked against submit_run/claim_runs):
queued runs are inserted with submit_run's column values (the statement trigger still writes
their run_transitions rows), and leases are always created by claim_runs itself.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

Conn = psycopg.Connection[dict[str, Any]]


def connect(database_url: str) -> Conn:
    return psycopg.connect(database_url, autocommit=True, row_factory=dict_row)


@dataclass(frozen=True)
class World:
    """One workspace with one spec (`noop`) in its own pool: scenarios never see each other's runs."""

    workspace_id: str
    pool: str
    spec_name: str = "noop"


def make_world(conn: Conn, tag: str, body: dict[str, Any] | None = None) -> World:
    suffix = uuid.uuid4().hex[:8]
    slug = f"bench-{tag}-{suffix}"
    pool = f"bench-{tag}-{suffix}"
    row = conn.execute("select (public.create_workspace(%s)).id", [slug]).fetchone()
    assert row is not None
    spec = {"name": "noop", "version": "1", "pool": pool, **(body or {})}
    conn.execute("select public.publish_spec(%s, 'noop', '1', %s)", [row["id"], json.dumps(spec)])
    return World(workspace_id=str(row["id"]), pool=pool)


def submit_one(conn: Conn, world: World) -> str:
    row = conn.execute("select (public.submit_run(%s, %s)).id", [world.workspace_id, world.spec_name]).fetchone()
    assert row is not None
    return str(row["id"])


BULK_QUEUE_SQL = """
insert into public.runs (
    workspace_id, spec_id, params, priority, idempotency_key, pool, required_labels, submitted_by,
    created_at, score, not_before, status_changed_at, status_changed_by, status_reason, updated_at
)
select s.workspace_id, s.id, '{}'::jsonb, t.priority, null, s.pool, s.required_labels, null,
    t.at, private.score_in(c.context, t.priority, t.at, null, 0, t.at),
    t.at, t.at, 'service_role', 'submitted', t.at
from public.pipeline_specs as s
cross join lateral (select private.score_context(s.workspace_id, s.pool, s.id) as context) as c
cross join lateral (
    -- Priorities spread over -10..10, each scored as submit_run scores it (multi-signal score).
    select now() - make_interval(secs => (%(n)s - g) / 1e6 + 1) as at, (g %% 21) - 10 as priority
    from generate_series(1, %(n)s) as g
) as t
where s.workspace_id = %(ws)s and s.name = %(spec)s
"""


def queue_runs(conn: Conn, world: World, count: int) -> float:
    """Queue `count` runs as submit_run would (same column values; the trigger audits them). Seconds."""
    started = time.perf_counter()
    done = 0
    while done < count:
        chunk = min(200_000, count - done)
        conn.execute(BULK_QUEUE_SQL, {"n": chunk, "ws": world.workspace_id, "spec": world.spec_name})
        done += chunk
    return time.perf_counter() - started


def queued_count(conn: Conn, world: World) -> int:
    row = conn.execute(
        "select count(*) as n from public.runs where pool = %s and status = 'queued'", [world.pool]
    ).fetchone()
    assert row is not None
    return int(row["n"])


def executor_claims(world: World) -> dict[str, str]:
    return {
        "role": "controlroom_executor",
        "sub": str(uuid.uuid4()),
        "pool": world.pool,
        "workspace_id": world.workspace_id,
    }


def as_executor(conn: Conn, claims: dict[str, str], sql: str, params: Any = ()) -> list[dict[str, Any]]:
    with conn.transaction():
        conn.execute(
            "select set_config('role', 'controlroom_executor', true), set_config('request.jwt.claims', %s, true)",
            [json.dumps(claims)],
        )
        return conn.execute(sql, params).fetchall()


def claim_all(conn: Conn, world: World, count: int) -> float:
    """Claim `count` queued runs through claim_runs itself (100 per call), leaving live leases. Seconds."""
    claims = executor_claims(world)
    executor_id = as_executor(conn, claims, "select id from public.register_executor()")[0]["id"]
    started = time.perf_counter()
    rows = as_executor(
        conn,
        claims,
        """
        select count(*) as n from (
            select (public.claim_runs(%(x)s, 100)).run_id from generate_series(1, %(calls)s)
        ) as c
        """,
        {"x": executor_id, "calls": (count + 99) // 100},
    )
    claimed = int(rows[0]["n"])
    if claimed < count:
        raise RuntimeError(f"claimed only {claimed} of {count} runs")
    return time.perf_counter() - started


def vacuum(conn: Conn) -> None:
    conn.execute("vacuum (analyze) public.runs, public.run_attempts, public.run_transitions, public.run_events")


def purge(conn: Conn, world: World) -> None:
    with conn.transaction():
        conn.execute("select private.purge_workspace(%s)", [world.workspace_id])


def reset_statements(conn: Conn) -> None:
    conn.execute("select extensions.pg_stat_statements_reset()")


def top_statements(conn: Conn, limit: int = 12) -> list[dict[str, Any]]:
    return conn.execute(
        """
        select calls, round(total_exec_time::numeric, 1) as total_ms,
            round(mean_exec_time::numeric, 3) as mean_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) as query
        from extensions.pg_stat_statements
        where query not ilike '%%pg_stat_statements%%'
        order by total_exec_time desc limit %s
        """,
        [limit],
    ).fetchall()
