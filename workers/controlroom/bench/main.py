"""`scripts/bench`: the control-plane benchmark entry point (see docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from controlroom.bench import alerting, purge, report, scenarios, wakeup
from controlroom.bench.scenarios import Config, Results
from controlroom.bench.stack import BenchStack, load_average, machine
from controlroom.settings import project_root

ROOT = project_root()
DOC = ROOT / "docs" / "benchmarks.md"
DOC_JSON = ROOT / "docs" / "benchmarks.json"
ANALYSIS_START, ANALYSIS_END = "<!-- control-plane-analysis:start -->", "<!-- control-plane-analysis:end -->"
SCENARIOS = (
    "latency",
    "lifecycle",
    "capped",
    "events",
    "requeue",
    "growth",
    "submit",
    "scores",
    "wakeup",
    "idle",
    "wakecost",
    "escalation",
    "alerting",
    "reclaim",
    "sweepcost",
    "purge",
)


def _ints(raw: str) -> list[int]:
    return [int(x.replace("_", "")) for x in raw.split(",") if x.strip()]


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run under 2 minutes: short durations, small sizes, 1 repetition, no docs",
    )
    p.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated subset of {','.join(SCENARIOS)}")
    p.add_argument("--paths", default="http,direct", help="http, direct or both")
    p.add_argument("--repeat", type=int, default=None, help="repetitions per figure (default 3, quick 1)")
    p.add_argument("--latency-seconds", type=float, default=None, help="submission window (20 s, quick 5 s)")
    p.add_argument("--latency-executors", default="1,8")
    p.add_argument("--submit-interval-ms", type=float, default=10.0, help="one run submitted every this many ms (10)")
    p.add_argument(
        "--pickup-lifecycle",
        choices=("batched", "per-run"),
        default="batched",
        help="after each claim in the pickup scenarios: the worker's calls (claim and start in one call, "
        "one complete_runs with the event; default) or start, emit and complete per run",
    )
    p.add_argument("--lifecycle-runs", type=int, default=None, help="queued runs (20,000, quick 2,000)")
    p.add_argument("--lifecycle-executors", default="1,8,32")
    p.add_argument("--lifecycle-cap-seconds", type=float, default=None, help="time cap per drain (20 s, quick 3 s)")
    p.add_argument("--claim-batch", type=int, default=10, help="max_runs per claim call in the drain (1..100)")
    p.add_argument(
        "--lifecycle-modes",
        default="per-run,batched",
        help="per-run (start_run, emit_events, complete_run per run), batched "
        "(claim_runs(start => true) + one complete_runs per claim with the events), or both",
    )
    p.add_argument(
        "--batched-claims",
        default="10,25",
        help="max_runs per claim in the batched lifecycle (an executor's --concurrency)",
    )
    p.add_argument("--event-batches", default="1,100,1000")
    p.add_argument("--event-seconds", type=float, default=None, help="per case (30 s, quick 3 s)")
    p.add_argument("--event-senders", type=int, default=1)
    p.add_argument("--requeue-sizes", default=None, help="stale leases (10000,100000; quick 10000)")
    p.add_argument("--growth-sizes", default=None, help="queued runs (1000,100000,1000000; quick 1000,100000)")
    p.add_argument("--growth-executors", type=int, default=8)
    p.add_argument("--growth-seconds", type=float, default=None, help="per drain (10 s, quick 2 s)")
    p.add_argument(
        "--growth-events",
        type=int,
        default=None,
        help="rows bulk-inserted into run_events before an ingestion check (10,000,000; quick 0)",
    )
    p.add_argument("--submit-runs", type=int, default=None, help="runs per submit case (10,000, quick 2,000)")
    p.add_argument("--score-sizes", default=None, help="queued runs rescored by the tick (100000; quick 10000)")
    p.add_argument("--escalation-sizes", default=None, help="open alerts the escalation sweep runs over (10000)")
    p.add_argument("--idle-executors", default="8,64,256", help="idle fleets whose cost is measured")
    p.add_argument("--idle-seconds", type=float, default=None, help="measured window per idle case (20 s, quick 5 s)")
    p.add_argument("--reclaim-runs", type=int, default=None, help="runs on the killed worker (8, quick 4)")
    p.add_argument("--reclaim-backoffs", default="0,10", help="retry base_seconds of the reclaim spec, per case")
    p.add_argument(
        "--purge-events",
        default=None,
        help="old run events the retention purge removes, per case (1000000; quick 100000; 10000000 for 10M)",
    )
    p.add_argument("--processes", type=int, default=4, help="client processes the executors are spread over")
    p.add_argument("--ports", default="29522,29521,29529", help="Postgres, API and S3 ports of the stack")
    p.add_argument(
        "--docs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="rewrite the control-plane section of docs/benchmarks.md and docs/benchmarks.json "
        "(default: on for full runs, off for --quick)",
    )
    p.add_argument(
        "--json",
        type=Path,
        default=None,
        help="results file (default docs/benchmarks.json with --docs, else /tmp/controlroom-bench-<time>.json)",
    )
    p.add_argument("--keep-state", action="store_true", help="keep the stack's state folder for inspection")
    return p.parse_args(argv)


def config(args: argparse.Namespace, stack: Any) -> Config:
    q = args.quick
    return Config(
        stack=stack,
        paths=[x.strip() for x in args.paths.split(",") if x.strip()],
        repeat=args.repeat or (1 if q else 3),
        quick=q,
        latency_seconds=args.latency_seconds or (5.0 if q else 20.0),
        latency_executors=_ints(args.latency_executors),
        submit_interval=args.submit_interval_ms / 1000,
        pickup_batched=args.pickup_lifecycle == "batched",
        lifecycle_runs=args.lifecycle_runs or (2000 if q else 20000),
        capped_runs=1000 if q else 5000,
        lifecycle_executors=_ints(args.lifecycle_executors),
        lifecycle_cap_seconds=args.lifecycle_cap_seconds or (3.0 if q else 20.0),
        claim_batch=args.claim_batch,
        lifecycle_modes=[x.strip() for x in args.lifecycle_modes.split(",") if x.strip()],
        batched_claims=_ints(args.batched_claims),
        event_batches=_ints(args.event_batches),
        event_seconds=args.event_seconds or (3.0 if q else 30.0),
        event_senders=args.event_senders,
        requeue_sizes=_ints(args.requeue_sizes or ("10000" if q else "10000,100000")),
        growth_sizes=_ints(args.growth_sizes or ("1000,100000" if q else "1000,100000,1000000")),
        growth_executors=args.growth_executors,
        growth_seconds=args.growth_seconds or (2.0 if q else 10.0),
        growth_events=args.growth_events if args.growth_events is not None else (0 if q else 10_000_000),
        processes=args.processes,
        submit_runs_count=args.submit_runs or (2000 if q else 10_000),
        score_sizes=_ints(args.score_sizes or ("10000" if q else "100000")),
        escalation_sizes=_ints(args.escalation_sizes or "10000"),
        idle_executors=_ints(args.idle_executors),
        idle_seconds=args.idle_seconds or (5.0 if q else 20.0),
        reclaim_runs=args.reclaim_runs or (4 if q else 8),
        reclaim_backoffs=[float(x) for x in args.reclaim_backoffs.split(",") if x.strip()],
        purge_events=_ints(args.purge_events or ("100000" if q else "1000000")),
    )


def write_docs(section: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    analysis = ""
    if ANALYSIS_START in text and ANALYSIS_END in text:
        analysis = text[text.index(ANALYSIS_START) : text.index(ANALYSIS_END) + len(ANALYSIS_END)]
    if analysis:
        section = section.replace(report.END, analysis + "\n" + report.END)
    if report.START in text and report.END in text:
        text = text[: text.index(report.START)] + section + text[text.index(report.END) + len(report.END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    wanted = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = set(wanted) - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenario(s): {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    docs = args.docs if args.docs is not None else not args.quick
    began = time.time()
    load_before = load_average()
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}", flush=True)
    pg, api, s3 = _ints(args.ports)
    bench = BenchStack(pg, api, s3, keep=args.keep_state)
    res = Results(lambda line: print(line, flush=True))
    failed = ""
    try:
        print(f"starting a throwaway stack in {bench.state} (ports {args.ports}) …", flush=True)
        stack = bench.up()
        cfg = config(args, stack)
        info = machine(stack.database_url)
        steps = {
            "latency": scenarios.claim_latency,
            "lifecycle": scenarios.lifecycle,
            "capped": scenarios.capped,
            "events": scenarios.events,
            "requeue": scenarios.requeue,
            "growth": scenarios.growth,
            "submit": scenarios.submitting,
            "scores": scenarios.scores,
            "escalation": scenarios.escalation,
            "alerting": alerting.signal_to_delivery,
            "wakeup": wakeup.pickup,
            "idle": wakeup.idle_cost,
            "wakecost": wakeup.trigger_cost,
            "reclaim": scenarios.reclaim,
            "sweepcost": scenarios.sweep_cost,
            "purge": purge.purge,
        }
        for name in SCENARIOS:
            if name in wanted:
                print(f"== {name}", flush=True)
                t0 = time.time()
                try:
                    steps[name](cfg, res)
                    if name == "growth" and cfg.growth_events > 0:
                        scenarios.events_growth(cfg, res)
                except Exception as exc:  # keep what was measured; the failure goes into the results
                    failed = f"{name}: {exc!r}"
                    res.notes.append(f"scenario {failed} failed; its figures are partial")
                    print(f"   FAILED {failed}", flush=True)
                print(f"   ({time.time() - t0:.0f} s)", flush=True)
    finally:
        print("stopping the stack …", flush=True)
        bench.down()

    load_after = load_average()
    print("\n" + "\n".join(report.table(res)))
    print("\nTargets:")
    for v in report.verdicts(res):
        print(f"  [{'met' if v.met else 'NOT met' if v.met is not None else 'n/a'}] {v.target}: {v.measured}")
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = args.json or (DOC_JSON if docs else Path(f"/tmp/controlroom-bench-{stamp}.json"))  # noqa: S108
    meta: dict[str, Any] = {
        "command": ("scripts/bench " + shlex.join(argv if argv is not None else sys.argv[1:])).strip(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "mode": "quick" if args.quick else "full",
        "repeat": cfg.repeat,
        "machine": info,
        "load_before": " ".join(f"{x:.2f}" for x in load_before),
        "load_after": " ".join(f"{x:.2f}" for x in load_after),
        "duration_min": (time.time() - began) / 60,
        "json": str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out),
        "processes": cfg.processes,
        "submit_interval_ms": cfg.submit_interval * 1000,
        "pickup_lifecycle": "batched" if cfg.pickup_batched else "per-run",
        "latency_seconds": cfg.latency_seconds,
        "lifecycle_runs": cfg.lifecycle_runs,
        "lifecycle_cap_seconds": cfg.lifecycle_cap_seconds,
        "claim_batch": cfg.claim_batch,
        "lifecycle_modes": cfg.lifecycle_modes,
        "batched_claims": cfg.batched_claims,
        "event_seconds": cfg.event_seconds,
        "growth_executors": cfg.growth_executors,
        "growth_seconds": cfg.growth_seconds,
    }
    payload = {"meta": meta, **scenarios.dump(res), "targets": [v.__dict__ for v in report.verdicts(res)]}
    out.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    print(f"\nwrote {out}")
    if docs and not failed:
        write_docs(report.section(res, meta))
        print(f"wrote the control-plane section of {DOC.relative_to(ROOT)}")
    return 1 if failed else 0
