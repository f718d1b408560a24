"""The `purge` scenario: retention of N old run events, as the hourly pg_cron job does it.

Scene: 1,000 runs claimed, started and finished through the RPCs, then N run events of theirs
bulk-inserted as the owner (one set-based INSERT … SELECT per 1,000 sequence numbers, like the
growth scenario's loader), all 40 days old; the workspace keeps events 30 days. Measured: the job's
own loop, `private.apply_retention(now(), 5000)` committed after each batch until it says no more
(the command of the controlroom_apply_retention cron job): rows/s over the whole purge, each batch's
time (p50, p95, max), the WAL it wrote, and how long a concurrent 100-event emit_events of another
run took meanwhile against before (lock and I/O impact on the hot path).

For the pg_partman question, the same number of rows (at most 1M) is loaded into one monthly
partition of a scratch table shaped like run_events, and dropping that partition is timed: what
expiry would cost if run_events were partitioned by time (the scratch schema is dropped after).
"""

from __future__ import annotations

import json
import threading
import time

from controlroom.bench import world as W
from controlroom.bench.scenarios import Config, Results
from controlroom.bench.stats import percentile

BATCH = 5000  # what the cron job passes
SEQS_PER_STATEMENT = 1000

OLD_EVENTS_SQL = """
insert into public.run_events (run_id, attempt_id, workspace_id, seq, source, type, level, phase, message, payload, ts)
select a.run_id, a.id, a.workspace_id, g.i, 'executor', 'log', 'info', 'bench',
    'bench event ' || g.i, jsonb_build_object('i', g.i), now() - interval '40 days'
from public.run_attempts as a
cross join generate_series(%(lo)s::integer, %(hi)s::integer) as g (i)
where a.workspace_id = %(ws)s
"""


def _finished_runs(conn: W.Conn, world: W.World, runs: int) -> None:
    """`runs` runs claimed and started by one executor (claim_runs(start => true)), then completed."""
    W.queue_runs(conn, world, runs)
    claims = W.executor_claims(world)
    executor_id = W.as_executor(conn, claims, "select id from public.register_executor()")[0]["id"]
    W.as_executor(
        conn,
        claims,
        "select count(*) from (select (public.claim_runs(%(x)s, 100, start => true)).run_id "
        "from generate_series(1, %(calls)s)) as c",
        {"x": executor_id, "calls": (runs + 99) // 100},
    )
    leases = [
        str(r["lease_token"])
        for r in conn.execute(
            "select lease_token from public.run_attempts where workspace_id = %s", [world.workspace_id]
        ).fetchall()
    ]
    if len(leases) != runs:
        raise RuntimeError(f"claimed {len(leases)} of {runs} runs")
    W.as_executor(
        conn, claims, "select count(public.complete_run(l, '{}'::jsonb)) from unnest(%s::uuid[]) as l", [leases]
    )


def _emitter(url: str, stop: threading.Event, samples: list[float]) -> None:
    """100-event emit_events batches of one running run of another workspace, back to back."""
    conn = W.connect(url)
    world = W.make_world(conn, "purgeemit")
    W.queue_runs(conn, world, 1)
    claims = W.executor_claims(world)
    executor_id = W.as_executor(conn, claims, "select id from public.register_executor()")[0]["id"]
    lease = W.as_executor(
        conn, claims, "select lease_token from public.claim_runs(%s, 1, start => true)", [executor_id]
    )[0]["lease_token"]
    seq = 0
    while not stop.is_set():
        events = [{"seq": seq + i, "type": "log", "message": "x"} for i in range(100)]
        seq += 100
        t0 = time.perf_counter()
        W.as_executor(conn, claims, "select public.emit_events(%s, %s)", [lease, json.dumps(events)])
        samples.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.02)
    W.purge(conn, world)
    conn.close()


def _emit_p95(url: str, seconds: float) -> float:
    stop, samples = threading.Event(), list[float]()
    thread = threading.Thread(target=_emitter, args=(url, stop, samples))
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join()
    return percentile(samples, 95)


PARTITION_SQL = """
create schema bench_partition;
create table bench_partition.run_events (like public.run_events including defaults) partition by range (ts);
create table bench_partition.run_events_old partition of bench_partition.run_events
    for values from (now() - interval '60 days') to (now() - interval '30 days');
create table bench_partition.run_events_new partition of bench_partition.run_events
    for values from (now() - interval '30 days') to (now() + interval '1 day');
create index on bench_partition.run_events (run_id, id);
create index on bench_partition.run_events (workspace_id);
"""


def _partition_drop_ms(conn: W.Conn, rows: int) -> float:
    """Load `rows` events into the old partition of a scratch time-partitioned table; time its drop."""
    conn.execute(PARTITION_SQL)
    try:
        conn.execute(
            """
            insert into bench_partition.run_events
                (id, run_id, attempt_id, workspace_id, seq, source, type, level, phase, message, payload, ts)
            select g, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), g, 'executor', 'log', 'info',
                'bench', 'bench event ' || g, jsonb_build_object('i', g), now() - interval '40 days'
            from generate_series(1, %s) as g
            """,
            [rows],
        )
        t0 = time.perf_counter()
        with conn.transaction():
            conn.execute("alter table bench_partition.run_events detach partition bench_partition.run_events_old")
            conn.execute("drop table bench_partition.run_events_old")
        return (time.perf_counter() - t0) * 1000
    finally:
        conn.execute("drop schema bench_partition cascade")


def purge(cfg: Config, res: Results) -> None:
    conn = W.connect(cfg.stack.database_url)
    for size in cfg.purge_events:
        case = f"{size:,} events of finished runs"
        world = W.make_world(conn, "purge")
        runs = 1000
        _finished_runs(conn, world, runs)
        per = size // runs
        t0 = time.perf_counter()
        for lo in range(0, per, SEQS_PER_STATEMENT):
            hi = min(per, lo + SEQS_PER_STATEMENT) - 1
            conn.execute(OLD_EVENTS_SQL, {"ws": world.workspace_id, "lo": lo + 1000, "hi": hi + 1000})
        loaded = time.perf_counter() - t0
        conn.execute("vacuum (analyze) public.run_events, public.runs")
        res.log(f"  purge | {case} | {per * runs:,} events loaded in {loaded:.0f} s")
        baseline = _emit_p95(cfg.stack.database_url, 5.0)
        conn.execute(
            "select public.set_retention_policy(%s, events_after_days => 30, as_of => now())", [world.workspace_id]
        )

        stop, emits = threading.Event(), list[float]()
        emitter = threading.Thread(target=_emitter, args=(cfg.stack.database_url, stop, emits))
        emitter.start()
        wal0 = conn.execute("select pg_current_wal_lsn() as l").fetchone()
        batches: list[float] = []
        purged = 0
        started = time.perf_counter()
        while True:
            b0 = time.perf_counter()
            with conn.transaction():  # the cron job commits after each batch
                row = conn.execute("select private.apply_retention(now(), %s) as r", [BATCH]).fetchone()
            batches.append((time.perf_counter() - b0) * 1000)
            assert row is not None
            purged += int(row["r"]["purged"])
            if not row["r"]["more"]:
                break
        elapsed = time.perf_counter() - started
        stop.set()
        emitter.join()
        wal = conn.execute("select pg_wal_lsn_diff(pg_current_wal_lsn(), %s) as b", [wal0["l"] if wal0 else None])
        wal_row = wal.fetchone()
        left = conn.execute(
            "select count(*) as n from public.run_events where workspace_id = %s and ts < now() - interval '30 days'",
            [world.workspace_id],
        ).fetchone()
        recorded = conn.execute(
            "select count(*) as n, coalesce(sum(rows_purged), 0) as rows from public.retention_purges "
            "where workspace_id = %s and what = 'run_events'",
            [world.workspace_id],
        ).fetchone()
        assert left is not None
        assert recorded is not None
        assert wal_row is not None
        if int(left["n"]) != 0 or int(recorded["rows"]) != purged or purged < size:
            raise RuntimeError(
                f"purge incomplete: {purged:,} purged, {int(left['n']):,} old events left, "
                f"{int(recorded['rows']):,} recorded"
            )
        path = "direct"
        res.add("purge", case, path, "rows/s", "1/s", purged / elapsed)
        res.add("purge", case, path, "total", "s", elapsed)
        res.add("purge", case, path, "batches", "", len(batches))
        res.add("purge", case, path, "batch p50", "ms", percentile(batches, 50))
        res.add("purge", case, path, "batch p95", "ms", percentile(batches, 95))
        res.add("purge", case, path, "batch max", "ms", max(batches))
        res.add("purge", case, path, "WAL", "MiB", float(wal_row["b"]) / 2**20)
        res.add("purge", case, path, "emit p95 before", "ms", baseline)
        res.add("purge", case, path, "emit p95 during", "ms", percentile(emits, 95) if emits else 0.0)
        res.say(
            "purge",
            case,
            path,
            [
                "rows/s",
                "total",
                "batches",
                "batch p50",
                "batch p95",
                "batch max",
                "WAL",
                "emit p95 before",
                "emit p95 during",
            ],
        )
        if size <= 1_000_000:
            res.add("purge", case, path, "partition drop", "ms", _partition_drop_ms(conn, size))
            res.say("purge", case, path, ["partition drop"])
        res.notes.append(
            f"purge {case}: loaded in {loaded:.0f} s; {len(batches)} batches of {BATCH}; "
            f"{int(recorded['n'])} retention_purges rows"
        )
        W.purge(conn, world)
    conn.close()
