"""The scenarios. Each returns rows: one figure of one case, with its value per repetition."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from controlroom.bench import world as W
from controlroom.bench.fleet import FleetJob, FleetResult, Mode, run_fleet
from controlroom.bench.stack import CONTROLROOM, StackEnv
from controlroom.bench.stats import fmt, percentile, spread


@dataclass
class Row:
    scenario: str
    case: str
    path: str
    metric: str
    unit: str
    values: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return spread(self.values)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "summary": self.summary()}


@dataclass
class Config:
    stack: StackEnv
    paths: list[str]
    repeat: int
    quick: bool
    latency_seconds: float
    latency_executors: list[int]
    submit_interval: float
    lifecycle_runs: int
    lifecycle_executors: list[int]
    lifecycle_cap_seconds: float
    claim_batch: int
    lifecycle_modes: list[str]
    batched_claims: list[int]
    event_batches: list[int]
    event_seconds: float
    event_senders: int
    requeue_sizes: list[int]
    growth_sizes: list[int]
    growth_executors: int
    growth_seconds: float
    growth_events: int
    processes: int
    submit_runs_count: int = 10_000
    idle_executors: list[int] = field(default_factory=lambda: [8, 64, 256])
    idle_seconds: float = 20.0
    idle_warmup_seconds: float = 6.0
    score_sizes: list[int] = field(default_factory=lambda: [100_000])
    escalation_sizes: list[int] = field(default_factory=lambda: [10_000])
    reclaim_runs: int = 8
    reclaim_backoffs: list[float] = field(default_factory=lambda: [0.0, 10.0])
    sweep_cost_passes: int = 200
    purge_events: list[int] = field(default_factory=lambda: [1_000_000])
    # Pickup scenarios run what the worker runs after a claim: claim_runs(start => true) and one
    # complete_runs with the run's event (batched), or start, emit and complete per run (per-run).
    pickup_batched: bool = True
    # Capped drain: the lifecycle in one workspace whose concurrency cap is below the fleet's size,
    # so every completion frees room that a waiting executor must be woken for.
    capped_runs: int = 5000
    capped_executors: int = 32
    capped_limit: int = 16


class Results:
    def __init__(self, log: Callable[[str], None]) -> None:
        self.rows: dict[tuple[str, str, str, str], Row] = {}
        self.explains: dict[str, str] = {}
        self.profiles: dict[str, list[dict[str, Any]]] = {}
        self.notes: list[str] = []
        self.log = log

    def add(self, scenario: str, case: str, path: str, metric: str, unit: str, value: float) -> None:
        key = (scenario, case, path, metric)
        row = self.rows.setdefault(key, Row(scenario, case, path, metric, unit))
        row.values.append(value)

    def get(self, scenario: str, case: str, path: str, metric: str) -> Row | None:
        return self.rows.get((scenario, case, path, metric))

    def say(self, scenario: str, case: str, path: str, metrics: list[str]) -> None:
        parts = []
        for m in metrics:
            row = self.get(scenario, case, path, m)
            if row:
                parts.append(f"{m}={fmt(spread(row.values[-1:]), 2)}")
        self.log(f"  {scenario} | {case} | {path} | " + " ".join(parts))


def _fleet_latencies(
    res: Results, scenario: str, case: str, path: str, fleet: FleetResult, kinds: tuple[str, ...]
) -> None:
    for kind in kinds:
        lat = fleet.latencies(kind)
        if lat:
            res.add(scenario, case, path, f"{kind} p50", "ms", percentile(lat, 50))
            res.add(scenario, case, path, f"{kind} p95", "ms", percentile(lat, 95))
            res.add(scenario, case, path, f"{kind} p99", "ms", percentile(lat, 99))


def check_fleet(fleet: FleetResult) -> None:
    if fleet.errors:
        raise RuntimeError(f"executors failed: {fleet.errors[:3]}")


# 1. Claim latency ------------------------------------------------------------------------------


def paced_submitter(
    conn: W.Conn,
    world: W.World,
    submits: int,
    interval: float,
    lags: list[float],
    committed: dict[str, float] | None = None,
) -> None:
    """Submits one run every `interval` seconds; how far it fell behind its schedule goes to `lags`,
    and when each submit's commit returned to `committed` (run id → time.time())."""
    time.sleep(0.5)  # let every executor reach its idle back-off first
    t0 = time.perf_counter()
    for i in range(submits):
        run_id = W.submit_one(conn, world)
        if committed is not None:
            committed[run_id] = time.time()
        wait = t0 + (i + 1) * interval - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        else:
            lags.append(-wait)


def pickup_ms(conn: W.Conn, world: W.World) -> tuple[list[float], int]:
    """Submit → first claim of every run of the world, in ms, and how many were never claimed."""
    rows = conn.execute(
        """
        select extract(epoch from a.claimed_at - r.created_at) * 1000 as ms
        from public.runs as r
        left join public.run_attempts as a on a.run_id = r.id and a.attempt_no = 1
        where r.workspace_id = %s
        """,
        [world.workspace_id],
    ).fetchall()
    return [float(r["ms"]) for r in rows if r["ms"] is not None], sum(1 for r in rows if r["ms"] is None)


def paced_pickup(
    cfg: Config,
    conn: W.Conn,
    world: W.World,
    path: str,
    mode: Mode,
    executors: int,
    committed: dict[str, float] | None = None,
) -> tuple[FleetResult, list[float], int, list[float]]:
    """`executors` idle executors in `mode` while one run is submitted every submit_interval for
    latency_seconds: the fleet, submit → claim latencies (ms), runs never claimed, and how far the
    submitter fell behind its schedule."""
    submits = max(1, int(cfg.latency_seconds / cfg.submit_interval))
    sub_conn = W.connect(cfg.stack.database_url)
    lags: list[float] = []
    thread = threading.Thread(
        target=paced_submitter, args=(sub_conn, world, submits, cfg.submit_interval, lags, committed)
    )
    job = FleetJob(
        path,
        cfg.stack,
        world.workspace_id,
        world.pool,
        mode,
        executors,
        max_seconds=cfg.latency_seconds + 1.5,
        processes=cfg.processes,
        batched=cfg.pickup_batched,
    )
    try:
        fleet = run_fleet(job, on_start=thread.start)
        thread.join()
    finally:
        sub_conn.close()
    check_fleet(fleet)
    ms, unclaimed = pickup_ms(conn, world)
    return fleet, ms, unclaimed, lags


def claim_latency(cfg: Config, res: Results) -> None:
    conn = W.connect(cfg.stack.database_url)
    for path in cfg.paths:
        for n in cfg.latency_executors:
            case = f"{n} idle executor{'s' if n > 1 else ''}"
            for _ in range(cfg.repeat):
                world = W.make_world(conn, "latency")
                fleet, ms, unclaimed, lags = paced_pickup(cfg, conn, world, path, "poll", n)
                res.add("claim latency", case, path, "p50", "ms", percentile(ms, 50))
                res.add("claim latency", case, path, "p95", "ms", percentile(ms, 95))
                res.add("claim latency", case, path, "p99", "ms", percentile(ms, 99))
                res.add("claim latency", case, path, "runs submitted", "", len(ms) + unclaimed)
                res.add("claim latency", case, path, "unclaimed", "", unclaimed)
                claim_calls = fleet.latencies("claim")
                res.add("claim latency", case, path, "claim calls/s", "1/s", len(claim_calls) / fleet.elapsed)
                res.add("claim latency", case, path, "claim call p95", "ms", percentile(claim_calls, 95))
                if lags and max(lags) > 0.05:
                    res.notes.append(
                        f"claim latency {case} {path}: the submitter fell {max(lags) * 1000:.0f} ms "
                        "behind its 10 ms schedule at worst"
                    )
                res.say("claim latency", case, path, ["p50", "p95", "p99", "unclaimed", "claim call p95"])
                W.purge(conn, world)
    conn.close()


# 2. Lifecycle throughput -----------------------------------------------------------------------


def _drain(
    cfg: Config,
    res: Results,
    conn: W.Conn,
    world: W.World,
    row: tuple[str, str, str],
    *,
    runs: int,
    executors: int,
    claim_batch: int,
    batched: bool,
    profile: bool,
    patient: bool = False,
) -> FleetResult:
    """Queue `runs` in `world`, drain them with a fleet, record runs/s, runs done and seconds under
    `row` (scenario, case, path), and the statement profile when asked."""
    scenario, case, path = row
    W.queue_runs(conn, world, runs)
    conn.execute("vacuum (analyze) public.runs, public.run_attempts")
    if profile:
        W.reset_statements(conn)
    job = FleetJob(
        path,
        cfg.stack,
        world.workspace_id,
        world.pool,
        "drain",
        executors,
        claim_batch=claim_batch,
        max_seconds=cfg.lifecycle_cap_seconds,
        processes=cfg.processes,
        batched=batched,
        patient=patient,
    )
    fleet = run_fleet(job)
    check_fleet(fleet)
    if profile:
        res.profiles[f"{scenario}, {case}, {path}"] = W.top_statements(conn, 8)
    res.add(scenario, case, path, "runs/s", "1/s", fleet.runs / fleet.elapsed)
    res.add(scenario, case, path, "runs done", "", fleet.runs)
    res.add(scenario, case, path, "seconds", "s", fleet.elapsed)
    return fleet


def lifecycle(cfg: Config, res: Results) -> None:
    unknown = set(cfg.lifecycle_modes) - {"per-run", "batched"}
    if unknown:
        raise ValueError(f"unknown lifecycle mode(s) {sorted(unknown)}: use per-run and/or batched")
    # (mode label, batched, max_runs per claim)
    variants = [("per-run", False, cfg.claim_batch)] if "per-run" in cfg.lifecycle_modes else []
    if "batched" in cfg.lifecycle_modes:
        variants += [(f"batched, claim {b}", True, b) for b in cfg.batched_claims]
    conn = W.connect(cfg.stack.database_url)
    for path in cfg.paths:
        for mode, batched, claim_batch in variants:
            for n in cfg.lifecycle_executors:
                case = f"{n} executor{'s' if n > 1 else ''}, {mode}"
                for rep in range(cfg.repeat):
                    world = W.make_world(conn, "lifecycle")
                    fleet = _drain(
                        cfg,
                        res,
                        conn,
                        world,
                        ("lifecycle", case, path),
                        runs=cfg.lifecycle_runs,
                        executors=n,
                        claim_batch=claim_batch,
                        batched=batched,
                        profile=rep == cfg.repeat - 1 and n == max(cfg.lifecycle_executors),
                    )
                    _fleet_latencies(res, "lifecycle", case, path, fleet, ("claim", "start", "emit", "complete"))
                    res.say("lifecycle", case, path, ["runs/s", "runs done", "claim p95", "start p95", "complete p95"])
                    W.purge(conn, world)
    conn.close()


def capped(cfg: Config, res: Results) -> None:
    """The batched lifecycle of 32 executors in a workspace capped at 16 concurrent runs: the claim
    serialises on the workspace's limits row and admits only the room left, and each completion
    frees room and wakes the pool (private.wake_executors). A claim that finds the cap full answers
    empty, so the executors are patient: they back off and claim again (the worker's poll backoff)
    until the time cap; runs/s counts to the last completion."""
    conn = W.connect(cfg.stack.database_url)
    n, cap = cfg.capped_executors, cfg.capped_limit
    case = f"{n} executors, workspace cap {cap}, batched, claim {cfg.claim_batch}"
    for path in cfg.paths:
        for rep in range(cfg.repeat):
            world = W.make_world(conn, "capped")
            conn.execute(
                "select public.set_workspace_limits(%s, %s)",
                [world.workspace_id, json.dumps({"max_concurrent_runs": cap})],
            )
            fleet = _drain(
                cfg,
                res,
                conn,
                world,
                ("capped", case, path),
                runs=cfg.capped_runs,
                executors=n,
                claim_batch=cfg.claim_batch,
                batched=True,
                profile=rep == cfg.repeat - 1,
                patient=True,
            )
            peak = conn.execute(
                "select max(live)::int as peak from (select sum(case when to_status = 'claimed' then 1 "
                "when from_status = any(private.active_run_statuses()) "
                "and to_status <> all(private.active_run_statuses()) then -1 "
                "else 0 end) over (order by id) as live from public.run_transitions where workspace_id = %s) as t",
                [world.workspace_id],
            ).fetchone()
            assert peak is not None
            if peak["peak"] > cap:
                raise RuntimeError(f"the workspace ran {peak['peak']} runs at once, over its cap of {cap}")
            res.add("capped", case, path, "peak concurrent", "", peak["peak"])
            _fleet_latencies(res, "capped", case, path, fleet, ("claim", "complete"))
            res.say("capped", case, path, ["runs/s", "runs done", "peak concurrent", "claim p95", "complete p95"])
            W.purge(conn, world)
    conn.close()


# 3. Event ingestion ----------------------------------------------------------------------------


def events(cfg: Config, res: Results) -> None:
    conn = W.connect(cfg.stack.database_url)
    for path in cfg.paths:
        for batch in cfg.event_batches:
            case = f"batch {batch}, {cfg.event_senders} sender{'s' if cfg.event_senders > 1 else ''}"
            for _ in range(cfg.repeat):
                world = W.make_world(conn, "events")
                W.queue_runs(conn, world, cfg.event_senders)
                job = FleetJob(
                    path,
                    cfg.stack,
                    world.workspace_id,
                    world.pool,
                    "emit",
                    cfg.event_senders,
                    emit_batch=batch,
                    max_seconds=cfg.event_seconds,
                    processes=cfg.processes,
                )
                fleet = run_fleet(job)
                check_fleet(fleet)
                res.add("events", case, path, "events/s", "1/s", fleet.events / fleet.elapsed)
                res.add("events", case, path, "calls/s", "1/s", len(fleet.latencies("emit")) / fleet.elapsed)
                _fleet_latencies(res, "events", case, path, fleet, ("emit",))
                res.say("events", case, path, ["events/s", "emit p50", "emit p95", "emit p99"])
                W.purge(conn, world)
    conn.close()


# 4. Requeue ------------------------------------------------------------------------------------


def requeue(cfg: Config, res: Results) -> None:
    conn = W.connect(cfg.stack.database_url)
    for size in cfg.requeue_sizes:
        case = f"{size:,} stale leases"
        for rep in range(cfg.repeat):
            # Leases live an hour: pg_cron's minutely sweep (as of now) never takes them; the timed
            # call sweeps as of two hours later, when all of them are stale.
            world = W.make_world(conn, "requeue", {"heartbeat_tolerance_seconds": 3600})
            W.queue_runs(conn, world, size)
            W.claim_all(conn, world, size)
            conn.execute("vacuum (analyze) public.runs, public.run_attempts")
            if rep == cfg.repeat - 1:
                W.reset_statements(conn)
            t0 = time.perf_counter()
            row = conn.execute(
                "select public.requeue_stale_runs(now() + interval '2 hours', %s) as s", [world.workspace_id]
            ).fetchone()
            seconds = time.perf_counter() - t0
            assert row is not None
            summary = row["s"]
            if int(summary["requeued"]) != size:
                raise RuntimeError(f"requeue_stale_runs requeued {summary['requeued']} of {size}")
            if rep == cfg.repeat - 1:
                res.profiles[f"requeue, {case}"] = W.top_statements(conn, 5)
            res.add("requeue", case, "direct", "seconds", "s", seconds)
            res.add("requeue", case, "direct", "leases/s", "1/s", size / seconds)
            res.say("requeue", case, "direct", ["seconds"])
            W.purge(conn, world)
    conn.close()


# 5. Growth -------------------------------------------------------------------------------------

CLAIM_INNER = """
select r.id, r.workspace_id, r.spec_id, r.params, r.priority, r.attempt_count, r.score, r.created_at
from public.runs as r
where r.status = 'queued'
  and r.pool = %(pool)s
  and r.not_before <= now()
  and r.required_labels <@ '{}'::jsonb
  and (%(ws)s::uuid is null or r.workspace_id = %(ws)s::uuid)
order by r.score desc, r.created_at, r.id
limit 1
for update of r skip locked
"""


def explain_claim(conn: W.Conn, world: W.World) -> str:
    rows: list[dict[str, Any]] = []
    with conn.transaction():
        rows = conn.execute(
            "explain (analyze, buffers) " + CLAIM_INNER, {"pool": world.pool, "ws": world.workspace_id}
        ).fetchall()
        raise psycopg.Rollback()  # release the row lock the claim's select took
    return "\n".join(str(next(iter(r.values()))) for r in rows)


def growth(cfg: Config, res: Results) -> None:
    conn = W.connect(cfg.stack.database_url)
    worlds: list[W.World] = []
    for size in cfg.growth_sizes:
        case = f"{size:,} queued"
        world = W.make_world(conn, "growth")
        worlds.append(world)
        seeded = W.queue_runs(conn, world, size)
        conn.execute("vacuum (analyze) public.runs, public.run_transitions")
        res.log(f"  growth | {case} | seeded in {seeded:.1f} s")
        res.explains[case] = explain_claim(conn, world)
        quota = max(1, size // 2 // cfg.growth_executors)
        for path in cfg.paths:
            for _ in range(cfg.repeat):
                missing = size - W.queued_count(conn, world)
                if missing > 0:
                    W.queue_runs(conn, world, missing)
                job = FleetJob(
                    path,
                    cfg.stack,
                    world.workspace_id,
                    world.pool,
                    "drain",
                    cfg.growth_executors,
                    claim_batch=1,
                    max_seconds=cfg.growth_seconds,
                    quota=quota,
                    processes=cfg.processes,
                )
                fleet = run_fleet(job)
                check_fleet(fleet)
                res.add("growth", case, path, "runs/s", "1/s", fleet.runs / fleet.elapsed)
                _fleet_latencies(res, "growth", case, path, fleet, ("claim",))
                res.say("growth", case, path, ["runs/s", "claim p50", "claim p95"])
        res.explains[case + " (after the runs)"] = explain_claim(conn, world)
    for world in worlds:
        W.purge(conn, world)
    conn.close()


EVENTS_BULK = """
insert into public.run_events (run_id, attempt_id, workspace_id, seq, source, type, level, phase, message, payload, ts)
select a.run_id, a.id, a.workspace_id, g.i, 'executor', 'log', 'info', 'bench',
    'bench event ' || g.i, jsonb_build_object('i', g.i), now()
from (select id, run_id, workspace_id, row_number() over (order by id) - 1 as k
      from public.run_attempts where workspace_id = %(ws)s) as a
cross join generate_series(%(lo)s::integer, %(hi)s::integer) as g (i)
"""


def events_growth(cfg: Config, res: Results) -> None:
    """emit_events with a big run_events table: bulk-inserted rows (no insert trigger exists to bypass)."""
    conn = W.connect(cfg.stack.database_url)
    holders = W.make_world(conn, "eventsbulk")
    attempts = 1000
    W.queue_runs(conn, holders, attempts)
    W.claim_all(conn, holders, attempts)
    per = cfg.growth_events // attempts
    t0 = time.perf_counter()
    step = 1000
    for lo in range(0, per, step):
        conn.execute(EVENTS_BULK, {"ws": holders.workspace_id, "lo": lo, "hi": min(per, lo + step) - 1})
    conn.execute("vacuum (analyze) public.run_events")
    total = conn.execute("select count(*) as n from public.run_events").fetchone()
    assert total is not None
    res.log(
        f"  events growth | {per * attempts:,} events inserted in {time.perf_counter() - t0:.0f} s "
        f"(run_events holds {int(total['n']):,})"
    )
    case = f"batch 100, 1 sender, {int(total['n']) / 1e6:.0f}M rows in run_events"
    for path in cfg.paths:
        for _ in range(cfg.repeat):
            world = W.make_world(conn, "events")
            W.queue_runs(conn, world, 1)
            job = FleetJob(
                path,
                cfg.stack,
                world.workspace_id,
                world.pool,
                "emit",
                1,
                emit_batch=100,
                max_seconds=min(cfg.event_seconds, 10.0),
                processes=1,
            )
            fleet = run_fleet(job)
            check_fleet(fleet)
            res.add("events", case, path, "events/s", "1/s", fleet.events / fleet.elapsed)
            _fleet_latencies(res, "events", case, path, fleet, ("emit",))
            res.say("events", case, path, ["events/s", "emit p95"])
            W.purge(conn, world)
    conn.close()


# 6. Submitting: one call per run against submit_runs batches of 1,000 ------------------------------


def _service_plane(stack: StackEnv) -> Any:
    from controlroom import keys
    from controlroom.client.control_plane import ControlPlane

    # The anon key identifies the project; the bearer token (role service_role) is the caller.
    token = keys.api_key("service_role", stack.jwt_secret, int(time.time()))
    return ControlPlane.connect(stack.supabase_url, stack.anon_key, access_token=token)


def submitting(cfg: Config, res: Results) -> None:
    """Runs queued per second: submit_run one call per run, and submit_runs in batches of 1,000,
    direct (SQL as the service role) and over HTTP (the Python client through the gateway)."""
    conn = W.connect(cfg.stack.database_url)
    total = cfg.submit_runs_count
    batch = 1000
    for path in cfg.paths:
        for _ in range(cfg.repeat):
            world = W.make_world(conn, "submit")
            items = [{"spec_name": world.spec_name, "params": {"i": i}} for i in range(batch)]
            singles = max(1, total // 10)  # one call per run is slow: a tenth of the runs
            if path == "direct":
                t0 = time.perf_counter()
                for i in range(singles):
                    conn.execute(
                        "select public.submit_run(%s, %s, params => %s)",
                        [world.workspace_id, "noop", json.dumps({"i": i})],
                    )
                res.add(
                    "submit",
                    "submit_run, one call per run",
                    path,
                    "runs/s",
                    "1/s",
                    singles / (time.perf_counter() - t0),
                )
                t0 = time.perf_counter()
                for _ in range(total // batch):
                    rows = conn.execute(
                        "select count(*) filter (where a.outcome = 'accepted') as n "
                        "from public.submit_runs(%s, %s) as a",
                        [world.workspace_id, json.dumps(items)],
                    ).fetchall()
                    assert rows[0]["n"] == batch
                res.add(
                    "submit", "submit_runs, 1,000 per call", path, "runs/s", "1/s", total / (time.perf_counter() - t0)
                )
            else:
                plane = _service_plane(cfg.stack)
                try:
                    t0 = time.perf_counter()
                    for i in range(singles):
                        plane.submit_run(world.workspace_id, spec_name="noop", params={"i": i})
                    res.add(
                        "submit",
                        "submit_run, one call per run",
                        path,
                        "runs/s",
                        "1/s",
                        singles / (time.perf_counter() - t0),
                    )
                    t0 = time.perf_counter()
                    for _ in range(total // batch):
                        answers = plane.submit_runs(world.workspace_id, items)
                        assert all(a.outcome == "accepted" for a in answers)
                    res.add(
                        "submit",
                        "submit_runs, 1,000 per call",
                        path,
                        "runs/s",
                        "1/s",
                        total / (time.perf_counter() - t0),
                    )
                finally:
                    plane.close()
            for case in ("submit_run, one call per run", "submit_runs, 1,000 per call"):
                res.say("submit", case, path, ["runs/s"])
            W.purge(conn, world)
    conn.close()


# 7. The score refresh tick -----------------------------------------------------------------------


def scores(cfg: Config, res: Results) -> None:
    """One pool with N queued runs: the refresh tick rescoring all of them in batches of 10,000."""
    conn = W.connect(cfg.stack.database_url)
    for size in cfg.score_sizes:
        case = f"{size:,} queued"
        world = W.make_world(conn, "scores")
        W.queue_runs(conn, world, size)
        conn.execute("vacuum (analyze) public.runs, public.run_transitions")
        for _ in range(cfg.repeat):
            batches: list[float] = []
            t0 = time.perf_counter()
            while True:
                b0 = time.perf_counter()
                row = conn.execute("select public.refresh_scores(%s, 10000) as r", [world.pool]).fetchone()
                batches.append(time.perf_counter() - b0)
                assert row is not None
                if not row["r"]["more"]:
                    break
            elapsed = time.perf_counter() - t0
            res.add("scores", case, "direct", "runs/s", "1/s", size / elapsed)
            res.add("scores", case, "direct", "batch p50", "ms", percentile([b * 1000 for b in batches], 50))
            res.add("scores", case, "direct", "batch max", "ms", max(batches) * 1000)
            res.say("scores", case, "direct", ["runs/s", "batch p50", "batch max"])
        W.purge(conn, world)
    conn.close()


def dump(res: Results) -> dict[str, Any]:
    return {
        "rows": [r.as_dict() for r in res.rows.values()],
        "explains": res.explains,
        "profiles": json.loads(json.dumps(res.profiles, default=str)),
        "notes": res.notes,
    }


# Alert escalation ---------------------------------------------------------------------------------


def escalation_routes(group_by: list[str]) -> dict[str, Any]:
    """group_wait holds tier 1 for an hour: the alerts open without a notification, so the timed sweep
    finds every one of them due at once. group_by ["n"] (a label unique per signal) makes one group per
    alert, the most work per alert (a notification each); no group_by makes one group of them all."""
    return {
        "targets": {"oncall": {"kind": "webhook", "url_secret": "BENCH_WEBHOOK_URL"}},  # pragma: allowlist secret
        "routes": [
            {
                "name": "all",
                "group_by": group_by,
                "group_wait_seconds": 3600,
                "escalation": [
                    {"targets": ["oncall"], "after_seconds": 0},
                    {"targets": ["oncall"], "after_seconds": 600},
                ],
            }
        ],
    }


# The layouts measured: (case suffix, group_by, notifications expected for `size` alerts).
ESCALATION_LAYOUTS: list[tuple[str, list[str], Callable[[int], int]]] = [
    ("one group each", ["n"], lambda size: size),
    ("in one group", [], lambda size: 1),
]

OPEN_ALERTS_SQL = """
insert into public.alert_signals (workspace_id, spec_name, pool, signal_type, severity, fingerprint, labels, raised_at)
select %(ws)s, 'noop', %(pool)s, 'run_failed', 'critical', 'run_failed:bench:' || g,
    pg_catalog.jsonb_build_object('n', g::text), now()
from generate_series(%(first)s::integer, %(last)s::integer) as g
"""


def escalation(cfg: Config, res: Results) -> None:
    """The escalation sweep (public.sweep_alerts) over N open alerts: none due (the minutely tick's
    usual cost), then all due (each group reaches tier 1 and writes its delivery), with one group per
    alert and with all of them in one group."""
    conn = W.connect(cfg.stack.database_url)
    for size in cfg.escalation_sizes:
        for layout, group_by, notifications in ESCALATION_LAYOUTS:
            case = f"{size:,} open alerts, {layout}"
            for rep in range(cfg.repeat):
                world = W.make_world(conn, "escalation")
                conn.execute(
                    "select public.publish_routes(%s, %s)",
                    [world.workspace_id, json.dumps(escalation_routes(group_by))],
                )
                # Signals arrive in statements of 200 (a batch of completions), each its own transaction.
                t0 = time.perf_counter()
                for first in range(1, size + 1, 200):
                    last = min(size, first + 199)
                    conn.execute(
                        OPEN_ALERTS_SQL, {"ws": world.workspace_id, "pool": world.pool, "first": first, "last": last}
                    )
                    if first == 1:
                        conn.execute("analyze public.alerts, public.alert_signals, public.alert_changes")
                opened = time.perf_counter() - t0
                conn.execute(
                    "vacuum (analyze) public.alerts, public.alert_signals, public.alert_changes, public.alert_groups"
                )
                if rep == cfg.repeat - 1:
                    W.reset_statements(conn)
                t0 = time.perf_counter()
                idle = conn.execute(
                    "select public.sweep_alerts(now() + interval '1 minute', %s, 100000) as s", [world.workspace_id]
                ).fetchone()
                idle_seconds = time.perf_counter() - t0
                t0 = time.perf_counter()
                due = conn.execute(
                    "select public.sweep_alerts(now() + interval '2 hours', %s, 100000) as s", [world.workspace_id]
                ).fetchone()
                due_seconds = time.perf_counter() - t0
                assert idle is not None
                assert due is not None
                sent = conn.execute(
                    "select count(*) as n from public.alert_deliveries where workspace_id = %s", [world.workspace_id]
                ).fetchone()
                assert sent is not None
                if int(idle["s"]["alerts_notified"]) != 0 or int(due["s"]["alerts_notified"]) != size:
                    raise RuntimeError(f"sweep_alerts notified {idle['s']} then {due['s']}, expected 0 then {size}")
                if int(sent["n"]) != notifications(size):
                    raise RuntimeError(f"{sent['n']} deliveries, expected {notifications(size)} ({layout})")
                if rep == cfg.repeat - 1:
                    res.profiles[f"escalation, {case}"] = W.top_statements(conn, 5)
                res.add("escalation", case, "direct", "open (signals)", "s", opened)
                res.add("escalation", case, "direct", "signals/s", "1/s", size / opened)
                res.add("escalation", case, "direct", "sweep, none due", "s", idle_seconds)
                res.add("escalation", case, "direct", "sweep, all due", "s", due_seconds)
                res.add("escalation", case, "direct", "alerts/s escalated", "1/s", size / due_seconds)
                res.say("escalation", case, "direct", ["open (signals)", "sweep, none due", "sweep, all due"])
                W.purge(conn, world)


# 8. Kill -9 of a worker → its runs claimed again (the requeue sweep's latency, end to end) -------

RECLAIM_TOLERANCE = 30  # heartbeat_tolerance_seconds of the spec (the schema's minimum)

RECLAIM_SQL = """
select a1.run_id,
    extract(epoch from a1.lease_expires_at) as expired_at,
    extract(epoch from a1.finished_at) as lost_at,
    extract(epoch from a2.claimed_at) as reclaimed_at,
    a2.executor_id <> a1.executor_id as other_executor
from public.run_attempts as a1
left join public.run_attempts as a2 on a2.run_id = a1.run_id and a2.attempt_no = 2
where a1.workspace_id = %s and a1.attempt_no = 1
"""


def _worker(cfg: Config, pool: str, concurrency: int) -> subprocess.Popen[bytes]:
    """A real `controlroom worker` (HTTP, S3, heartbeats), in a process group of its own."""
    return subprocess.Popen(
        [str(CONTROLROOM), "worker", "--pool", pool, "--concurrency", str(concurrency)],
        env={**os.environ, **cfg.stack.exports},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def reclaim(cfg: Config, res: Results) -> None:
    """kill -9 of a worker (its process group: the phases die with it, as on a lost node) while it
    runs N long runs; another worker of the pool is idle. Measured per run from the kill: when the
    lease expired (last heartbeat + tolerance), when the sweep closed it (lost), and when the other
    worker claimed the run again. Per backoff: the spec's retry delay adds to the re-claim."""
    conn = W.connect(cfg.stack.database_url)
    n = cfg.reclaim_runs
    for backoff in cfg.reclaim_backoffs:
        case = f"tolerance {RECLAIM_TOLERANCE} s, retry backoff {backoff:g} s, {n} runs"
        for _ in range(cfg.repeat):
            world = _runnable_world(
                conn,
                {
                    "heartbeat_tolerance_seconds": RECLAIM_TOLERANCE,
                    "retries": {"max_attempts": 3, "base_seconds": backoff},
                    "phases": [{"name": "wait", "kind": "shell", "argv": ["sleep", "600"]}],
                },
            )
            doomed = _worker(cfg, world.pool, n)
            survivor: subprocess.Popen[bytes] | None = None
            try:
                for _ in range(n):
                    W.submit_one(conn, world)
                deadline = time.monotonic() + 60
                while _count(conn, world, "status = 'running'") < n:
                    if time.monotonic() > deadline or doomed.poll() is not None:
                        raise RuntimeError("the first worker did not start every run within 60 s")
                    time.sleep(0.2)
                survivor = _worker(cfg, world.pool, n)
                # kill at any point of the heartbeat cycle (10 s): a delay, not a secret
                time.sleep(random.uniform(2, 12))  # noqa: S311
                if _count(conn, world, "status = 'running' and attempt_count = 1") < n:
                    raise RuntimeError("a run of the first worker ended before the kill (see its events)")
                killed_at = time.time()
                _kill_group(doomed)
                deadline = time.monotonic() + RECLAIM_TOLERANCE + backoff + 120
                while _count(conn, world, "attempt_count >= 2 and status = 'running'") < n:
                    if time.monotonic() > deadline:
                        raise RuntimeError("runs of the killed worker were not claimed again within the bound")
                    if _count(conn, world, "status in ('succeeded', 'failed', 'cancelled', 'timed_out')"):
                        raise RuntimeError("a run of the killed worker ended instead of being claimed again")
                    time.sleep(0.2)
                rows = conn.execute(RECLAIM_SQL, [world.workspace_id]).fetchall()
            finally:
                _kill_group(doomed)
                if survivor is not None:
                    _kill_group(survivor)
            if not all(r["other_executor"] for r in rows):
                raise RuntimeError("a run was claimed again by the killed worker's executor")
            reclaimed = [float(r["reclaimed_at"]) - killed_at for r in rows]
            swept = [float(r["lost_at"]) - float(r["expired_at"]) for r in rows]
            expiry = [float(r["expired_at"]) - killed_at for r in rows]
            for metric, values in (
                ("kill → re-claimed", reclaimed),
                ("lease expiry → lost (sweep delay)", swept),
                ("kill → lease expiry", expiry),
            ):
                for value in values:  # every run is a sample: percentiles over all repetitions
                    res.add("reclaim", case, "http", f"{metric} (all runs)", "s", value)
            res.log(
                f"  reclaim | {case} | kill → re-claimed p50 {percentile(reclaimed, 50):.1f} s, "
                f"p95 {percentile(reclaimed, 95):.1f} s, max {max(reclaimed):.1f} s; sweep delay p95 "
                f"{percentile(swept, 95):.1f} s"
            )
            W.purge(conn, world)
        for metric in ("kill → re-claimed", "lease expiry → lost (sweep delay)"):
            samples = res.get("reclaim", case, "http", f"{metric} (all runs)")
            if samples is not None:
                for pct in (50, 95):
                    res.add("reclaim", case, "http", f"{metric} p{pct}", "s", percentile(samples.values, pct))
                res.add("reclaim", case, "http", f"{metric} max", "s", max(samples.values))
    conn.close()


def _runnable_world(conn: W.Conn, body: dict[str, Any]) -> W.World:
    """A workspace with a spec a real worker can run (it names its workspace, unlike make_world's)."""
    suffix = uuid.uuid4().hex[:8]
    slug = pool = f"bench-reclaim-{suffix}"
    row = conn.execute("select (public.create_workspace(%s)).id", [slug]).fetchone()
    assert row is not None
    spec = {"name": "noop", "version": "1", "workspace": slug, "pool": pool, **body}
    conn.execute("select public.publish_spec(%s, 'noop', '1', %s)", [row["id"], json.dumps(spec)])
    return W.World(workspace_id=str(row["id"]), pool=pool)


def _count(conn: W.Conn, world: W.World, where: str) -> int:
    row = conn.execute(
        f"select count(*) as n from public.runs where workspace_id = %s and {where}",  # fixed text
        [world.workspace_id],
    ).fetchone()
    return int(row["n"]) if row else 0


def sweep_cost(cfg: Config, res: Results) -> None:
    """One pass of the requeue sweep when nothing is stale (what pg_cron does every 5 s), with no
    runs, then with 100,000 queued runs and 10,000 live leases present."""
    conn = W.connect(cfg.stack.database_url)
    sweep = "select private.sweep_stale_runs(now(), null, 1000)"

    def measure(case: str) -> None:
        conn.execute("vacuum (analyze) public.runs, public.run_attempts")
        for _ in range(20):  # warm
            conn.execute(sweep)
        samples = []
        for _ in range(cfg.sweep_cost_passes):
            t0 = time.perf_counter()
            conn.execute(sweep)
            samples.append((time.perf_counter() - t0) * 1000)
        res.add("sweep cost", case, "direct", "pass p50", "ms", percentile(samples, 50))
        res.add("sweep cost", case, "direct", "pass p95", "ms", percentile(samples, 95))
        res.say("sweep cost", case, "direct", ["pass p50", "pass p95"])

    total = conn.execute("select count(*) as n from public.runs").fetchone()
    measure(f"{int(total['n']) if total else 0:,} runs in the database")
    world = W.make_world(conn, "sweepcost", {"heartbeat_tolerance_seconds": 3600})
    W.queue_runs(conn, world, 100_000)
    W.claim_all(conn, world, 10_000)
    measure("100,000 runs (10,000 live leases, none stale)")
    W.purge(conn, world)
    conn.close()
