"""The final table, the targets verdict and the control-plane section of docs/benchmarks.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controlroom.bench.scenarios import Results, Row
from controlroom.bench.stats import fmt

START, END = "<!-- control-plane-bench:start -->", "<!-- control-plane-bench:end -->"


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def _median(row: Row | None) -> float | None:
    if row is None or not row.values:
        return None
    return row.summary()["median"]


def verdicts(res: Results) -> list[Verdict]:
    out: list[Verdict] = []

    def check(target: str, row: Row | None, ok: Any, digits: int = 1) -> None:
        value = _median(row)
        if row is None or value is None:
            out.append(Verdict(target, "not measured", None))
        else:
            out.append(
                Verdict(target, fmt(row.summary(), digits) + (f" {row.unit}" if row.unit else ""), bool(ok(value)))
            )

    check(
        "claim latency p95 ≤ 50 ms, HTTP, 8 idle executors",
        res.get("claim latency", "8 idle executors", "http", "p95"),
        lambda v: v <= 50,
    )
    for path, floor, goal in (("direct", 3000, "6,109"), ("http", 500, "1,500")):
        rates = [
            r
            for r in res.rows.values()
            if r.scenario == "lifecycle"
            and r.path == path
            and r.metric == "runs/s"
            and r.case.startswith("32 executors")
        ]
        best = max(rates, key=lambda r: r.summary()["median"], default=None)
        label = best.case if best else "–"
        check(
            f"lifecycle ≥ {floor:,} runs/s {path} at 32 executors (goal ≥ {goal}; best: {label})",
            best,
            lambda v, f=floor: v >= f,
            0,
        )
    ev = [
        r
        for r in res.rows.values()
        if r.scenario == "events"
        and r.case.startswith("batch 100,")
        and "rows in run_events" not in r.case
        and r.path == "http"
        and r.metric == "emit p95"
    ]
    check("event ingestion p95 ≤ 10 ms, 100-event batch, HTTP", ev[0] if ev else None, lambda v: v <= 10, 2)
    for path in ("http", "direct"):
        rates = [
            r
            for r in res.rows.values()
            if r.scenario == "events"
            and r.path == path
            and r.metric == "events/s"
            and "rows in run_events" not in r.case
        ]
        best = max(rates, key=lambda r: r.summary()["median"], default=None)
        check(
            f"≥ 20,000 events/s sustained, {path} (best batch size: {best.case if best else '–'})",
            best,
            lambda v: v >= 20000,
            0,
        )
    check(
        "requeue of 10,000 stale leases ≤ 2 s",
        res.get("requeue", "10,000 stale leases", "direct", "seconds"),
        lambda v: v <= 2,
        2,
    )
    reclaims = [r for r in res.rows.values() if r.scenario == "reclaim" and r.metric == "kill → re-claimed p95"]
    if not reclaims:
        out.append(Verdict("kill -9 → re-claimed p95 ≤ tolerance 30 s + 10 s", "not measured", None))
    for row in reclaims:
        check(f"kill -9 → re-claimed p95 ≤ tolerance 30 s + 10 s ({row.case})", row, lambda v: v <= 40)
    for path in ("http", "direct"):
        small = _median(res.get("growth", "1,000 queued", path, "claim p95"))
        big_row = res.get("growth", "1,000,000 queued", path, "claim p95")
        big = _median(big_row)
        if small is None or big is None:
            out.append(Verdict(f"claim p95 at 1M queued ≤ 2× 1k queued, {path}", "not measured", None))
        else:
            out.append(
                Verdict(
                    f"claim p95 at 1M queued ≤ 2× 1k queued, {path}",
                    f"{big:.2f} ms vs {small:.2f} ms ({big / small:.2f}×)",
                    big <= 2 * small,
                )
            )
    alerting = [r for r in res.rows.values() if r.scenario == "alerting" and r.metric == "first delivery p95"]
    check(
        "signal → first delivery attempt p95 ≤ 2 s, local dispatcher",
        alerting[0] if alerting else None,
        lambda v: v <= 2000,
        0,
    )
    check(
        "pickup p95 ≤ 3 ms, 8 idle executors, HTTP + Realtime",
        res.get("wake-up", "8 idle executors, woken by Realtime", "http", "pickup p95"),
        lambda v: v <= 3,
        2,
    )
    for row in res.rows.values():
        if row.scenario == "idle cost" and row.metric == "per executor per 5 s" and "subscribed" in row.case:
            check(f"≤ 1 claim call per executor per 5 s fallback interval, {row.case}", row, lambda v: v <= 1, 2)
    return out


def table(res: Results) -> list[str]:
    lines = ["| scenario | case | path | figure | median (min–max) |", "|---|---|---|---|---:|"]
    for r in res.rows.values():
        digits = 0 if r.unit == "1/s" or r.unit == "" else 2
        unit = f" {r.unit}" if r.unit and r.unit != "1/s" else ("/s" if r.unit == "1/s" else "")
        lines.append(f"| {r.scenario} | {r.case} | {r.path} | {r.metric} | {fmt(r.summary(), digits)}{unit} |")
    return lines


def _scenario_table(res: Results, scenario: str, metrics: list[str]) -> list[str]:
    cases: dict[tuple[str, str], dict[str, Row]] = {}
    for r in res.rows.values():
        if r.scenario == scenario:
            cases.setdefault((r.case, r.path), {})[r.metric] = r
    if not cases:
        return ["(not run)"]
    header = "| case | path | " + " | ".join(metrics) + " |"
    lines = [header, "|---|---|" + "---:|" * len(metrics)]
    for (case, path), rows in cases.items():
        cells = []
        for m in metrics:
            row = rows.get(m)
            digits = 0 if row is not None and row.unit in ("1/s", "") else 2
            cells.append(fmt(row.summary(), digits) if row is not None else "–")
        lines.append(f"| {case} | {path} | " + " | ".join(cells) + " |")
    return lines


def section(res: Results, meta: dict[str, Any]) -> str:
    m = meta["machine"]
    v = verdicts(res)
    out = [
        START,
        "## Control plane (`scripts/bench`)",
        "",
        f"Run: `{meta['command']}` on {meta['date']} ({meta['mode']} mode, {meta['repeat']} repetitions per "
        f"figure; each cell is the median with the spread min–max in parentheses). Load average "
        f"{meta['load_before']} before and {meta['load_after']} after; {meta['duration_min']:.0f} min in all. "
        f"Raw results: `{meta['json']}`.",
        "",
        f"Machine: {m['cpu']}, {m['memory']} RAM, Linux {m['kernel']}. Postgres {m['postgres']} "
        f"({m['postgres_settings']}); Python {m['python']}, psycopg {m['psycopg']}, supabase-py "
        f"{m['supabase_py']}; HTTP through {m['gateway']}. The stack is a throwaway one (own state folder "
        "under /tmp, own ports), started and stopped by the script; clients, gateway and Postgres share "
        "the same cores.",
        "",
        "Paths: **direct** = psycopg 3, one connection per executor, each RPC in its own transaction that "
        "sets `role` and `request.jwt.claims` first (as PostgREST does), pipelined into one round trip; "
        "**http** = `controlroom.client.control_plane.ControlPlane` (supabase-py) with an executor JWT through "
        "the gateway. "
        "Executors are threads in up to "
        f"{meta['processes']} worker processes (forkserver), one client each, registered before the clock starts.",
        "",
        "### Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *[f"| {x.target} | {x.measured} | {'yes' if x.met else 'no' if x.met is not None else '–'} |" for x in v],
        "",
        "### 1. Claim latency (submit → claim)",
        "",
        f"One run submitted every {meta['submit_interval_ms']:.0f} ms for {meta['latency_seconds']:.0f} s to idle "
        "executors that poll like the real one (`controlroom.executor.polling.Backoff`, 10 ms floor, 100 ms "
        f"ceiling, jitter) and run the no-op lifecycle on each claim ({_pickup_calls(meta)}). "
        "Latency = attempt `claimed_at` − run "
        "`created_at`, both the transaction start times on the database clock (so it includes the submit "
        "transaction itself). `claim call p95` is the client-side duration of one claim call.",
        "",
        *_scenario_table(
            res,
            "claim latency",
            ["p50", "p95", "p99", "runs submitted", "unclaimed", "claim calls/s", "claim call p95"],
        ),
        "",
        "### 2. Lifecycle throughput",
        "",
        f"{meta['lifecycle_runs']:,} queued no-op runs. *per-run*: each executor claims up to "
        f"{meta['claim_batch']} per call, then per run `start_run` → `emit_events` (one event) → `complete_run`, "
        "four transactions per run. *batched, claim N*: `claim_runs(max_runs => N, start => true)` claims "
        "and starts in one transaction (N is the executor's `--concurrency`), then one "
        "`complete_runs` call completes the whole claim, each item carrying its run's event: two transactions "
        "per claim (the executor's completion window does the same). Every run still gets its attempt, its "
        f"audited transitions (queued → claimed → running → succeeded) and its event. Drained until empty or "
        f"{meta['lifecycle_cap_seconds']:.0f} s, whichever comes first; runs/s = completed runs / elapsed. "
        "Latencies are client-side per call (ms).",
        "",
        *_scenario_table(
            res, "lifecycle", ["runs/s", "runs done", "claim p95", "start p95", "emit p95", "complete p95"]
        ),
        "",
        "### 3. Event ingestion",
        "",
        f"One started run per sender; `emit_events` batches of small log events (type, level, seq, phase, "
        f"message, payload) back to back for {meta['event_seconds']:.0f} s.",
        "",
        *_scenario_table(res, "events", ["events/s", "calls/s", "emit p50", "emit p95", "emit p99"]),
        "",
        "### 4. Requeue",
        "",
        "Leases created by `claim_runs` itself (100 per call) with a one-hour tolerance, then one call "
        "`requeue_stale_runs(now() + 2 h, workspace_id)` as the owner, timed client-side including commit.",
        "",
        *_scenario_table(res, "requeue", ["seconds", "leases/s"]),
        "",
        "### 5. Growth",
        "",
        f"Queued backlog of N runs in the claimers' own pool (bulk-inserted with `submit_run`'s column values; "
        f"the insert trigger writes their audit rows). {meta['growth_executors']} executors claim 1 per call "
        f"and run the no-op lifecycle for up to {meta['growth_seconds']:.0f} s (at most half the backlog); "
        "the backlog is topped up before each repetition.",
        "",
        *_scenario_table(res, "growth", ["runs/s", "claim p50", "claim p95", "claim p99"]),
        "",
    ]
    for case, plan in res.explains.items():
        out += [f"`EXPLAIN (ANALYZE, BUFFERS)` of the claim's inner select, {case}:", "", "```", plan, "```", ""]
    if res.profiles:
        out += ["### Profiles (pg_stat_statements, last repetition)", ""]
        for name, stmts in res.profiles.items():
            out += [f"{name}:", "", "| calls | total ms | mean ms | statement |", "|---:|---:|---:|---|"]
            out += [f"| {s['calls']} | {s['total_ms']} | {s['mean_ms']} | `{s['query']}` |" for s in stmts]
            out.append("")
    if res.notes:
        out += ["Notes from this run:", "", *[f"- {n}" for n in res.notes], ""]
    out += [*meta.get("analysis", []), END]
    return "\n".join(out)


def _pickup_calls(meta: dict[str, Any]) -> str:
    if meta.get("pickup_lifecycle", "per-run") == "batched":
        return "the worker's calls: claim and start in one call, one `complete_runs` with the run's event"
    return "start, emit and complete per run"
