"""pg_cron's own requeue job closes a stale lease within seconds, not at the next minute."""

from __future__ import annotations

import time

from .conftest import connect, stale_leases

JOB = "controlroom_requeue_stale_runs"


def test_the_real_cron_job_requeues_a_stale_lease_within_seconds(database_url: str, make_world: object) -> None:
    with connect(database_url) as conn:
        # The job must have started at least once (pg_cron starts it at a minute boundary after
        # Postgres starts); from then on it sweeps every 5 s, with a gap of ~5 s at the minute.
        deadline = time.monotonic() + 125
        while (
            conn.execute(
                "select 1 from cron.job_run_details as d join cron.job as j using (jobid) where j.jobname = %s limit 1",
                [JOB],
            ).fetchone()
            is None
        ):
            assert time.monotonic() < deadline, "pg_cron never ran the requeue job"
            time.sleep(1)

        world = make_world()  # type: ignore[operator]
        stale_leases(conn, world, 100)  # committed here: from now on the leases are stale
        stale_at = time.monotonic()
        while True:
            live = conn.execute(
                "select count(*) as n from public.run_attempts where workspace_id = %s and status = 'claimed'",
                [world.workspace_id],
            ).fetchone()
            waited = time.monotonic() - stale_at
            if live == {"n": 0} or waited > 60:
                break
            time.sleep(0.2)
        lost = conn.execute(
            "select count(*) as n from public.run_attempts where workspace_id = %s and status = 'lost'",
            [world.workspace_id],
        ).fetchone()
    assert lost == {"n": 100}, "pg_cron's job closed every stale lease"
    # Every 5 s, plus the ~5 s between one minute's last pass and the next minute's first, plus a
    # sweep on a busy machine: well within the minute that a once-a-minute job would take.
    assert waited < 15, f"the stale leases waited {waited:.1f} s for pg_cron's sweep"
    print(f"stale lease → lost by pg_cron's job in {waited:.1f} s")
