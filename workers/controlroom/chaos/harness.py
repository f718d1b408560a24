"""One chaos run: private stack up, runs submitted, workers supervised, faults injected, then verified."""

from __future__ import annotations

import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import psycopg

from controlroom.chaos.faults import Fault, FaultPlan, Injector
from controlroom.chaos.fleet import Fleet
from controlroom.chaos.stack import Ports, PrivateStack
from controlroom.chaos.verify import Findings, verify
from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import ControlPlaneError
from controlroom.specs.canonical import canonical_body
from controlroom.specs.load import parse_spec

# What every succeeded attempt of the chaos spec must have stored and recorded.
REQUIRED_ARTIFACTS = {
    "work/logs/stdout.log",
    "work/logs/stderr.log",
    "greet/logs/stdout.log",
    "greet/logs/stderr.log",
    "greet/result.json",
}


@dataclass(frozen=True)
class ChaosConfig:
    runs: int = 100
    workers: int = 3
    concurrency: int = 4
    faults: int = 10
    window_seconds: float = 60.0  # faults and submissions are spread over this
    tolerance_seconds: int = 30  # the spec's heartbeat_tolerance_seconds (30 is the minimum)
    run_seconds: float = 1.0  # how long the shell phase of a run sleeps, at most
    timeout_seconds: float = 600.0  # the runs must all be terminal within this after the window
    port_base: int = 29600  # pg base+2, api base+1, s3 base+9, page base+3
    seed: int = 17
    state_dir: Path | None = None
    keep: bool = False  # leave the stack up (and the state folder) for inspection


@dataclass
class Report:
    config: dict[str, Any]
    findings: Findings
    faults: list[Fault]
    worker_exits: list[dict[str, Any]]
    kill_reclaim_seconds: list[float]
    kill_requeue_seconds: list[float]
    duration_seconds: float
    unfinished: int
    faults_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return (
            all(v == 0 for v in self.findings.must_be_zero().values())
            and not self.worker_exits
            and self.unfinished == 0
            and all(f.ok for f in self.faults)
        )

    @staticmethod
    def latency(values: list[float]) -> dict[str, float | None]:
        xs = sorted(values)
        if not xs:
            return {"n": 0, "p50": None, "p95": None, "max": None}
        return {
            "n": len(xs),
            "p50": round(statistics.median(xs), 1),
            "p95": round(xs[min(len(xs) - 1, int(0.95 * len(xs)))], 1),
            "max": round(xs[-1], 1),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "config": self.config,
            "duration_seconds": round(self.duration_seconds, 1),
            "must_be_zero": self.findings.must_be_zero() | {"worker_exits": len(self.worker_exits)},
            "unfinished": self.unfinished,
            "runs": {
                "expected": self.findings.runs_expected,
                "found": self.findings.runs_found,
                "succeeded": self.findings.runs_succeeded,
                "attempts": self.findings.attempts,
                "failed_attempts_by_class": self.findings.retryable_failures,
            },
            "artifacts": {
                "checked": self.findings.artifacts_checked,
                "orphan_objects_of_unsucceeded_attempts": self.findings.orphan_objects
                - self.findings.orphans_of_succeeded,
            },
            "faults": self.faults_by_kind,
            "faults_failed_to_inject": [f.detail for f in self.faults if not f.ok],
            # Requeue: the sweep noticed the dead lease. Re-claim: a worker took the run again, which
            # also includes the run's wait in the queue behind the others.
            "kill_to_requeue_seconds": self.latency(self.kill_requeue_seconds),
            "kill_to_reclaim_seconds": self.latency(self.kill_reclaim_seconds),
            "worker_exits": self.worker_exits,
            "examples": self.findings.examples,
        }


def _say(text: str) -> None:
    print(f"[chaos {datetime.now().strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _spec(slug: str, pool: str, config: ChaosConfig) -> dict[str, Any]:
    return {
        "name": "chaos",
        "version": 1,
        "workspace": slug,
        "pool": pool,
        "params": {
            "type": "object",
            "properties": {"sleep": {"type": "number", "default": 0.5}},
            "additionalProperties": False,
        },
        "phases": [
            {
                "name": "work",
                "kind": "shell",
                "argv": ["sh", "-c", "sleep ${params.sleep}; echo done ${run.id}"],
                "caps": {"wall_seconds": 120},
            },
            {
                "name": "greet",
                "kind": "python",
                "entrypoint": "controlroom.examples.hello:greet",
                "params": {"who": "chaos", "run": "${run.id}"},
                "caps": {"wall_seconds": 120},
            },
        ],
        "retries": {"max_attempts": 100, "base_seconds": 1, "max_backoff_seconds": 5},
        "heartbeat_tolerance_seconds": config.tolerance_seconds,
    }


class Submitter:
    """Submits the runs in batches spread over the first half of the window, each batch with
    idempotency keys and re-sent until acknowledged (through outages): no run may be lost or doubled."""

    def __init__(self, plane: ControlPlane, workspace_id: str, config: ChaosConfig) -> None:
        self.plane = plane
        self.workspace_id = workspace_id
        self.config = config
        self.submitted = 0
        self.resends = 0
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-submitter", daemon=True)
        self._rng = random.Random(config.seed + 2)  # noqa: S311 - reproducible parameters

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        batches = max(1, min(20, self.config.runs // 10))
        size = -(-self.config.runs // batches)
        began = time.monotonic()
        pause = (self.config.window_seconds / 2) / batches
        try:
            for b in range(batches):
                time.sleep(max(0.0, began + b * pause - time.monotonic()))
                first, last = b * size, min(self.config.runs, (b + 1) * size)
                items = [
                    {
                        "spec_name": "chaos",
                        "params": {"sleep": round(self._rng.uniform(0.1, self.config.run_seconds), 2)},
                        "idempotency_key": f"chaos-{i}",
                    }
                    for i in range(first, last)
                ]
                while True:
                    try:
                        self.plane.submit_runs(self.workspace_id, items)
                        break
                    except ControlPlaneError as exc:
                        self.resends += 1
                        _say(f"submit batch {b} re-sent after: {exc}")
                        time.sleep(1)
                self.submitted = last
        finally:
            self.done.set()


def run_chaos(config: ChaosConfig) -> Report:
    started = time.monotonic()
    state = config.state_dir or Path(tempfile.mkdtemp(prefix="controlroom-chaos-"))
    stack = PrivateStack(state, Ports.from_base(config.port_base))
    _say(f"private stack in {state} (ports {stack.ports})")
    env = stack.up()
    fleet: Fleet | None = None
    try:
        service = ControlPlane.connect(env["SUPABASE_URL"], env["SUPABASE_SERVICE_ROLE_KEY"])
        suffix = uuid.uuid4().hex[:8]
        workspace = service.create_workspace(f"chaos-{suffix}", name=f"chaos {suffix}")
        pool = f"chaos-{suffix}"
        spec = parse_spec(_spec(workspace.slug, pool, config), "chaos spec")
        service.publish_spec(workspace.id, "chaos", "1", canonical_body(spec))
        worker_env = env | {"CONTROLROOM_STORAGE_PROBE": "on"}
        fleet = Fleet(
            config.workers, env=worker_env, pool=pool, concurrency=config.concurrency, log_dir=state / "workers"
        )
        fleet.start()
        submitter = Submitter(service, str(workspace.id), config)
        plan = FaultPlan(
            count=config.faults,
            window_seconds=config.window_seconds,
            tolerance_seconds=config.tolerance_seconds,
            seed=config.seed,
        )
        injector = Injector(plan, stack, fleet, env["DATABASE_URL"], _say)
        submitter.start()
        injector.start()
        submitter.done.wait()
        injector.done.wait()
        _say(f"faults over ({len(injector.faults)}); waiting for the runs to finish")
        unfinished = _wait_finished(env["DATABASE_URL"], str(workspace.id), config.runs, config.timeout_seconds)
        fleet.stop()
        s3 = boto3.client(
            "s3",
            endpoint_url=env["S3_ENDPOINT_URL"],
            region_name=env.get("AWS_REGION", "us-east-1"),
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            findings = verify(conn, s3, env["CONTROLROOM_BUCKET"], str(workspace.id), config.runs, REQUIRED_ARTIFACTS)
            latencies = _reclaim_latencies(conn, injector.faults)
            requeues = _requeue_latencies(conn, injector.faults)
        service.close()
        by_kind: dict[str, int] = {}
        for fault in injector.faults:
            by_kind[fault.kind] = by_kind.get(fault.kind, 0) + 1
        cfg = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}
        return Report(
            config=cfg,
            findings=findings,
            faults=injector.faults,
            worker_exits=[
                {"worker": e.slot, "exit_code": e.code, "log": e.log, "tail": _tail(e.log)} for e in fleet.own_exits()
            ],
            kill_reclaim_seconds=latencies,
            kill_requeue_seconds=requeues,
            duration_seconds=time.monotonic() - started,
            unfinished=unfinished,
            faults_by_kind=by_kind,
        )
    finally:
        if fleet is not None:
            fleet.stop()
        if not config.keep:
            stack.down()
            if config.state_dir is None:
                shutil.rmtree(state, ignore_errors=True)


def _wait_finished(database_url: str, workspace_id: str, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    open_runs = expected
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(database_url, connect_timeout=3) as conn:
                row = conn.execute(
                    "select count(*) filter (where not (status = any(private.terminal_run_statuses()))), count(*) "
                    "from public.runs where workspace_id = %s",
                    (workspace_id,),
                ).fetchone()
        except psycopg.Error:
            time.sleep(1)
            continue
        assert row is not None
        open_runs = int(row[0]) + max(0, expected - int(row[1]))
        if open_runs == 0:
            return 0
        time.sleep(1)
    return open_runs


def _reclaim_latencies(conn: psycopg.Connection[Any], faults: list[Fault]) -> list[float]:
    """For each run a kill -9 took from a worker: seconds until another attempt claimed it."""
    out: list[float] = []
    for fault in faults:
        if fault.kind != "kill9":
            continue
        for run_id, attempt_no in fault.held:
            row = conn.execute(
                "select extract(epoch from min(claimed_at)) from public.run_attempts "
                "where run_id = %s and attempt_no > %s",
                (run_id, attempt_no),
            ).fetchone()
            if row is not None and row[0] is not None:
                out.append(float(row[0]) - fault.at)
    return out


def _requeue_latencies(conn: psycopg.Connection[Any], faults: list[Fault]) -> list[float]:
    """For each run a kill -9 took from a worker: seconds until the sweep requeued it (its lease lost)."""
    out: list[float] = []
    for fault in faults:
        if fault.kind != "kill9":
            continue
        for run_id, attempt_no in fault.held:
            row = conn.execute(
                "select extract(epoch from min(at)) from public.run_transitions "
                "where run_id = %s and attempt_no = %s and from_status in ('claimed', 'running') "
                "and to_status <> 'succeeded' and actor like 'system:%%'",
                (run_id, attempt_no),
            ).fetchone()
            if row is not None and row[0] is not None:
                out.append(float(row[0]) - fault.at)
    return out


def _tail(path: str, lines: int = 5) -> list[str]:
    try:
        return Path(path).read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def summary(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)
