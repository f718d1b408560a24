"""A completion in a capped workspace wakes its pool without JIT-compiling the wake-up lookup.

The runs triggers turn nested loops off for their own joins, and a function's settings hold for
what it calls. private.wake_executors' lookup is a nested loop by construction; planned under the
trigger's settings its cost carried the disable penalty (1e10), far above jit_above_cost, so every
wake-up compiled its query with LLVM (100-220 ms of CPU per completion under caps). The JIT work of
that statement is read from pg_stat_statements around one completion. Only this test's session
tracks nested statements (a superuser setting of its own), so parallel tests add nothing to it.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from .conftest import World, as_executor, connect, register_executor, require_jit, submit_runs

# The wake-up lookup as pg_stat_statements keeps it (0325_trigger_runs_wake_executors.sql).
WAKE_LOOKUP_TEXT = "%from public.executors as x%cross join lateral%from public.run_attempts as a%"


def _wake_lookup_jit(conn: psycopg.Connection[dict[str, Any]]) -> tuple[int, int, int]:
    """Calls and JIT functions of the wake-up lookup, and how often pg_stat_statements evicted entries."""
    row = conn.execute(
        "select coalesce(sum(calls), 0)::bigint as calls, coalesce(sum(jit_functions), 0)::bigint as jit, "
        "(select dealloc from extensions.pg_stat_statements_info) as dealloc "
        "from extensions.pg_stat_statements where query like %s",
        [WAKE_LOOKUP_TEXT],
    ).fetchone()
    assert row is not None
    return row["calls"], row["jit"], row["dealloc"]


def test_a_capped_completion_wakes_the_pool_without_jit(database_url: str, make_world: Any) -> None:
    world: World = make_world()
    with connect(database_url) as conn:
        require_jit(conn)
        conn.execute("set pg_stat_statements.track = 'all'")
        # The test can only fail where nested statements are tracked.
        settings = conn.execute(
            "select current_setting('pg_stat_statements.track', true) as track, "
            "to_regclass('extensions.pg_stat_statements') is not null as pgss"
        ).fetchone()
        assert settings is not None
        assert settings["pgss"], f"pg_stat_statements is not installed: {settings}"
        assert settings["track"] == "all", f"nested statements are not tracked: {settings}"

        conn.execute(
            "select public.set_workspace_limits(%s, %s)",
            [world.workspace_id, json.dumps({"max_concurrent_runs": 2})],
        )
        executor = register_executor(conn, world)  # seen just now: the wake-up picks it
        # pg_stat_statements evicts entries when it is full (the whole suite shares it): a reading
        # across an eviction is taken again with the next run, never judged.
        for _ in range(3):
            submit_runs(conn, world, 1)
            (claimed,) = as_executor(
                conn, executor.claims, "select lease_token from public.claim_runs(%s, 1, start => true)", [executor.id]
            )
            calls_before, jit_before, dealloc_before = _wake_lookup_jit(conn)
            as_executor(conn, executor.claims, "select public.complete_run(%s)", [claimed["lease_token"]])
            calls_after, jit_after, dealloc_after = _wake_lookup_jit(conn)
            if dealloc_after == dealloc_before:
                break
        else:
            raise AssertionError("pg_stat_statements evicted entries during each of three readings")

    assert calls_after > calls_before, "the completion did not run the wake-up lookup"
    assert jit_after == jit_before, f"the wake-up lookup was JIT-compiled ({jit_after - jit_before} functions)"
