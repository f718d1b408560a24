"""Push wake-ups (docs/realtime.md): what they buy and what they cost.

* pickup: submit → claim latency with 1 and 8 idle executors woken through HTTP + Realtime (the
  executor's own loop, `wake` fleet mode), next to the polling rows of the `latency` scenario;
* idle cost: claim calls per second and the CPU of Postgres and of the API while 8, 64 and 256
  executors sit idle, polling (`poll`: today's adaptive 10 → 100 ms loop) or subscribed (`wake`:
  one poll per fallback interval). Counted at the server (pg_stat_statements) after a warm-up, so
  the adaptive ramp of the first seconds is not in the figure;
* trigger cost: the same batched lifecycle drain and the same batch submit with the wake-up
  triggers on and off, alternated, so the broadcast's price is a difference of two figures measured
  side by side.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from controlroom.bench import world as W
from controlroom.bench.fleet import FleetJob, FleetResult, run_fleet
from controlroom.bench.scenarios import Config, Results, check_fleet, paced_pickup
from controlroom.bench.stack import StackEnv
from controlroom.bench.stats import percentile

WAKE_TRIGGERS = ("runs_wake_after_insert", "runs_wake_after_update")
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue  # a backend that exited in between: its CPU is gone with it
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _children(ppid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == ppid:
            out.append(int(entry.name))
    return out


class CpuMeter:
    """CPU seconds of the stack's Postgres (postmaster and every backend) and of its API process."""

    def __init__(self, conn: W.Conn, stack: StackEnv) -> None:
        row = conn.execute("select current_setting('data_directory') as d").fetchone()
        assert row is not None
        self.postmaster = int(Path(str(row["d"]), "postmaster.pid").read_text().split()[0])
        api_pid = Path(stack.state_dir, "run", "api.pid")
        self.api = int(api_pid.read_text().split()[0]) if stack.state_dir and api_pid.exists() else None

    def sample(self) -> tuple[float, float]:
        pg = _cpu_seconds([self.postmaster, *_children(self.postmaster)])
        api = _cpu_seconds([self.api, *_children(self.api)]) if self.api is not None else 0.0
        return pg, api


PICKUP_PARTS = ("submit", "relay", "wake to claim", "claim to BEGIN")


def pickup_parts(
    conn: W.Conn, world: W.World, fleet: FleetResult, committed: dict[str, float]
) -> dict[str, list[float]]:
    """Where a woken pickup's milliseconds go, on the one clock of this machine: the submit's own
    transaction (run created_at → its commit back at the submitter), the relay (→ the wake-up at the
    executor: NOTIFY, gateway, websocket, Realtime client), the executor (→ its claim call sent) and
    the claim's way in (→ the claim transaction's start, attempt claimed_at). Only claims that a
    wake-up arriving after the run's submit led to."""
    rows = conn.execute(
        """
        select r.id::text as id, extract(epoch from r.created_at)::float8 as created,
            extract(epoch from a.claimed_at)::float8 as claimed
        from public.runs as r
        inner join public.run_attempts as a on a.run_id = r.id and a.attempt_no = 1
        where r.workspace_id = %s
        """,
        [world.workspace_id],
    ).fetchall()
    db = {str(r["id"]): (float(r["created"]), float(r["claimed"])) for r in rows}
    parts: dict[str, list[float]] = {p: [] for p in PICKUP_PARTS}
    for result in fleet.results:
        for run_id, woken_at, sent in result.pickups:
            if run_id not in db or run_id not in committed:
                continue
            created, claimed = db[run_id]
            if not created < woken_at <= sent < created + 1:
                continue  # claimed by a fallback poll or after other work, not by its wake-up
            for part, (t0, t1) in zip(
                PICKUP_PARTS,
                ((created, committed[run_id]), (committed[run_id], woken_at), (woken_at, sent), (sent, claimed)),
                strict=True,
            ):
                parts[part].append((t1 - t0) * 1000)
    return parts


def pickup(cfg: Config, res: Results) -> None:
    conn = W.connect(cfg.stack.database_url)
    for n in cfg.latency_executors:
        case = f"{n} idle executor{'s' if n > 1 else ''}, woken by Realtime"
        for _ in range(cfg.repeat):
            world = W.make_world(conn, "wakeup")
            committed: dict[str, float] = {}
            fleet, ms, unclaimed, lags = paced_pickup(cfg, conn, world, "http", "wake", n, committed)
            res.add("wake-up", case, "http", "pickup p50", "ms", percentile(ms, 50))
            res.add("wake-up", case, "http", "pickup p95", "ms", percentile(ms, 95))
            res.add("wake-up", case, "http", "pickup p99", "ms", percentile(ms, 99))
            for part, values in pickup_parts(conn, world, fleet, committed).items():
                if values:
                    res.add("wake-up", case, "http", f"{part} p50", "ms", percentile(values, 50))
                    res.add("wake-up", case, "http", f"{part} p95", "ms", percentile(values, 95))
            res.add("wake-up", case, "http", "runs submitted", "", len(ms) + unclaimed)
            res.add("wake-up", case, "http", "unclaimed", "", unclaimed)
            if lags and max(lags) > 0.05:
                res.notes.append(
                    f"wake-up {case}: the submitter fell {max(lags) * 1000:.0f} ms behind its schedule at worst"
                )
            parts = [f"{p} p50" for p in PICKUP_PARTS]
            res.say("wake-up", case, "http", ["pickup p50", "pickup p95", "unclaimed", *parts])
            W.purge(conn, world)
    conn.close()


def idle_cost(cfg: Config, res: Results) -> None:
    conn = W.connect(cfg.stack.database_url)
    meter = CpuMeter(conn, cfg.stack)
    warmup, window = cfg.idle_warmup_seconds, cfg.idle_seconds
    for mode in ("poll", "wake"):
        for n in cfg.idle_executors:
            case = f"{n} idle executors, {'polling' if mode == 'poll' else 'subscribed'}"
            for _ in range(cfg.repeat):
                world = W.make_world(conn, "idle")
                marks: dict[str, tuple[float, ...]] = {}

                def measure(marks: dict[str, tuple[float, ...]] = marks) -> None:
                    time.sleep(warmup)
                    W.reset_statements(conn)
                    marks["start"] = (time.perf_counter(), *meter.sample())
                    time.sleep(window)
                    marks["end"] = (time.perf_counter(), *meter.sample())
                    marks["calls"] = (_claim_calls(conn),)

                sampler = threading.Thread(target=measure)
                job = FleetJob(
                    "http",
                    cfg.stack,
                    world.workspace_id,
                    world.pool,
                    mode,
                    n,
                    max_seconds=warmup + window + 0.5,
                    processes=cfg.processes,
                )
                fleet = run_fleet(job, on_start=sampler.start)
                sampler.join()
                check_fleet(fleet)
                (t0, pg0, api0), (t1, pg1, api1) = marks["start"], marks["end"]
                seconds = t1 - t0
                calls = marks["calls"][0] / seconds
                res.add("idle cost", case, "http", "claim calls/s", "1/s", calls)
                res.add("idle cost", case, "http", "per executor per 5 s", "", calls / n * 5)
                res.add("idle cost", case, "http", "postgres CPU", "%", (pg1 - pg0) / seconds * 100)
                res.add("idle cost", case, "http", "API CPU", "%", (api1 - api0) / seconds * 100)
                res.say("idle cost", case, "http", ["claim calls/s", "per executor per 5 s", "postgres CPU", "API CPU"])
                W.purge(conn, world)
    conn.close()


def _claim_calls(conn: W.Conn) -> float:
    row = conn.execute(
        """
        select coalesce(sum(calls), 0) as calls
        from extensions.pg_stat_statements
        where query ilike '%%claim_runs%%' and query not ilike '%%pg_stat_statements%%'
        """
    ).fetchone()
    return float(row["calls"]) if row else 0.0


def _submit_rates(conn: W.Conn, world: W.World, total: int) -> list[tuple[str, float]]:
    """Runs queued per second by submit_run (one call per run, a tenth of `total`) and by
    submit_runs (1,000 per call)."""
    singles = max(1, total // 10)
    t0 = time.perf_counter()
    for _ in range(singles):
        W.submit_one(conn, world)
    single_rate = singles / (time.perf_counter() - t0)
    items = json.dumps([{"spec_name": world.spec_name, "params": {"i": i}} for i in range(1000)])
    t0 = time.perf_counter()
    for _ in range(max(1, total // 1000)):
        conn.execute("select count(*) from public.submit_runs(%s, %s)", [world.workspace_id, items]).fetchall()
    batch_rate = max(1, total // 1000) * 1000 / (time.perf_counter() - t0)
    return [("submit_run, one call per run", single_rate), ("submit_runs, 1,000 per call", batch_rate)]


def _set_triggers(conn: W.Conn, enabled: bool) -> None:
    verb = "enable" if enabled else "disable"
    for name in WAKE_TRIGGERS:
        conn.execute(f"alter table public.runs {verb} trigger {name}")  # constant names: not input


def trigger_cost(cfg: Config, res: Results) -> None:
    """The wake-up triggers' price: the same work with them on and off, alternated per repetition.
    Executors of the pool are registered and recently seen, so every statement does wake someone."""
    conn = W.connect(cfg.stack.database_url)
    executors = max(cfg.lifecycle_executors)
    try:
        for _ in range(cfg.repeat):
            for enabled in (True, False):
                label = "wake-up triggers on" if enabled else "wake-up triggers off"
                _set_triggers(conn, enabled)
                world = W.make_world(conn, "wakecost")
                W.queue_runs(conn, world, cfg.lifecycle_runs)
                conn.execute("vacuum (analyze) public.runs, public.run_attempts")
                job = FleetJob(
                    "direct",
                    cfg.stack,
                    world.workspace_id,
                    world.pool,
                    "drain",
                    executors,
                    claim_batch=25,
                    max_seconds=cfg.lifecycle_cap_seconds,
                    processes=cfg.processes,
                    batched=True,
                )
                fleet = run_fleet(job)
                check_fleet(fleet)
                case = f"{executors} executors, batched, claim 25, {label}"
                res.add("wake-up cost", case, "direct", "runs/s", "1/s", fleet.runs / fleet.elapsed)
                res.say("wake-up cost", case, "direct", ["runs/s"])
                # Submitting, with the pool's executors still registered and recently seen.
                for call, rate in _submit_rates(conn, world, cfg.submit_runs_count):
                    case = f"{call}, {executors} live executors, {label}"
                    res.add("wake-up cost", case, "direct", "runs/s", "1/s", rate)
                    res.say("wake-up cost", case, "direct", ["runs/s"])
                W.purge(conn, world)
    finally:
        _set_triggers(conn, True)
        conn.close()
