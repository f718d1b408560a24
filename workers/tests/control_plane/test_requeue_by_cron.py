"""pg_cron's own requeue job closes a stale lease within seconds, not at the next minute."""

from __future__ import annotations

import time
from typing import Any

from .conftest import connect, stale_leases

JOB = "controlroom_requeue_stale_runs"


def wait_for_the_first_run(conn: Any) -> None:
    """pg_cron starts the job at a minute boundary after Postgres starts; from then on it sweeps
    every 5 s, with a gap of ~5 s at the minute."""
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


def test_the_real_cron_job_requeues_a_stale_lease_within_seconds(database_url: str, make_world: object) -> None:
    with connect(database_url) as conn:
        wait_for_the_first_run(conn)
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


def test_the_cron_job_holds_no_snapshot_while_it_waits_between_sweeps(database_url: str) -> None:
    # A statement holds a snapshot (the backend's xmin) while it runs, and vacuum cannot remove what
    # an xmin may still see: a job that slept 5 s in one statement held the horizon for 55 s of
    # every minute, and dead entries of claimed runs piled up where claims scan. Sampled here: the
    # longest the job's backend held an xmin in one transaction, across at least one full cadence.
    held: list[float] = []
    with connect(database_url) as conn:
        wait_for_the_first_run(conn)
        deadline = time.monotonic() + 30
        while len(held) < 150 and time.monotonic() < deadline:
            row = conn.execute(
                """
                select extract(epoch from pg_catalog.clock_timestamp() - a.xact_start)::float8 as age,
                    a.backend_xmin is not null as has_xmin
                from pg_catalog.pg_stat_activity as a
                where a.backend_type = 'pg_cron' and a.query like %s
                """,
                # The requeue job alone: the alert sweep's job is a "do $sweep$" block too.
                ["%private.requeue_sweep_cadence()%"],
            ).fetchone()
            if row is not None and row["age"] is not None:
                held.append(row["age"] if row["has_xmin"] else 0.0)
            time.sleep(0.05)
    assert len(held) >= 100, f"the job's backend was seen {len(held)} times in 30 s: is the job running?"
    # The cadence is 5 s: the old job's xmin aged to ~5 s before every sweep.
    assert max(held) < 2.5, f"the requeue job held a snapshot for {max(held):.1f} s while it waited"
