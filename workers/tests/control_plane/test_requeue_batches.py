"""pg_cron's requeue sweep works in bounded batches, one transaction each."""

from __future__ import annotations

import time
from typing import Any

from .conftest import connect, stale_leases


def test_the_cron_sweep_commits_one_bounded_batch_at_a_time(database_url: str, make_world: Any) -> None:
    world = make_world()
    total = 2_500
    with connect(database_url) as conn:
        stale_leases(conn, world, total)
        job = conn.execute("select command from cron.job where jobname = 'controlroom_requeue_stale_runs'").fetchone()
        assert job is not None
        # One pass of the job per execution here (pg_cron's runs loop for 55 s; the cadence is
        # tested in pgTAP and in test_requeue_by_cron.py).
        conn.execute("set controlroom.requeue_sweep_for = '0'")
        # Exactly what pg_cron runs every minute (it sweeps every workspace, ours included). pg_cron's
        # own minutely run may hold some of our leases meanwhile (SKIP LOCKED passes over them), so
        # the job is repeated, as the next minute would, until every lease is closed.
        deadline = time.monotonic() + 60
        while True:
            conn.execute(job["command"])
            live = conn.execute(
                "select count(*) as n from public.run_attempts where workspace_id = %s and status = 'claimed'",
                [world.workspace_id],
            ).fetchone()
            if live == {"n": 0} or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        attempts = conn.execute(
            """
            select count(*) as lost, count(distinct a.xmin::text) as transactions
            from public.run_attempts as a
            where a.workspace_id = %s and a.status = 'lost'
            """,
            [world.workspace_id],
        ).fetchone()
        queued = conn.execute(
            "select count(*) as n from public.runs where workspace_id = %s and status = 'queued' and attempt_count = 1",
            [world.workspace_id],
        ).fetchone()
    assert attempts is not None
    assert attempts["lost"] == total, "every stale lease was closed"
    # At most 1,000 leases per transaction: 2,500 leases need at least three commits.
    assert attempts["transactions"] >= 3, attempts
    assert queued == {"n": total}
