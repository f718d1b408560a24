"""`controlroom executors | queue | usage | logs`: the on-call questions, one command each.

Which executors are alive and what they run; what is queued per pool, since when and why the head
waits; how much each workspace ran per day; a run's logs read back from S3 with their recorded
SHA-256 checked. RLS decides what the caller sees, as on the page.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich import box
from rich.table import Table

from controlroom.artifacts import s3_client
from controlroom.cli import answers, common
from controlroom.cli.common import err, fail, handles_errors, out, print_json
from controlroom.client.control_plane import ControlPlane

LOG_NAME = "logs/{stream}.log"


def executor_rows(plane: ControlPlane) -> list[dict[str, Any]]:
    return plane.select("executor_health", order="registered_at", desc=True)


def _table(title: str, *columns: str, right: tuple[str, ...] = ()) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for name in columns:
        table.add_column(name, no_wrap=True, justify="right" if name in right else "left")
    return table


@handles_errors()
def executors(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Executors: health (from their last heartbeat), pool, and the runs each holds now."""
    plane = common.connect()
    try:
        rows = executor_rows(plane)
        live = plane.run_board(statuses=["claimed", "running"], limit=1000)
    finally:
        plane.close()
    current: dict[str, list[str]] = defaultdict(list)
    for run in live:
        if run.executor_id is not None:
            current[str(run.executor_id)].append(common.short(run.run_id))
    if as_json:
        print_json([{**row, "current_runs": current.get(str(row["executor_id"]), [])} for row in rows])
        return
    table = _table("executors", "executor", "pool", "health", "last seen", "host", "runs", right=("last seen",))
    for row in rows:
        seen = datetime.fromisoformat(row["last_seen_at"])
        runs = current.get(str(row["executor_id"]), [])
        table.add_row(
            common.short(row["executor_id"]),
            row["pool"],
            common.status_text(row["health"]),
            common.duration(common.between(seen, None)) + " ago",
            (row.get("host") or "")[:16],
            ", ".join(runs[:3]) + (f" +{len(runs) - 3}" if len(runs) > 3 else "") if runs else "-",
        )
    out.print(table)
    if not rows:
        err.print("no executors registered")


@handles_errors()
def queue(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Queues per pool: depth, ready, oldest queued, healthy executors, and why the head waits."""
    plane = common.connect()
    try:
        depth = plane.select("queue_depth_by_pool")
        executors_now = executor_rows(plane)
        pools: dict[str, dict[str, Any]] = {}
        for row in depth:
            pool = pools.setdefault(row["pool"], {"pool": row["pool"], "queued": 0, "ready": 0, "running": 0})
            pool["queued"] += row["queued"]
            pool["ready"] += row["ready"]
            pool["running"] += row["claimed"] + row["running"]
            oldest = row["oldest_queued_at"]
            if oldest and (pool.get("oldest_queued_at") is None or oldest < pool["oldest_queued_at"]):
                pool["oldest_queued_at"] = oldest
        for name, pool in pools.items():
            pool["healthy_executors"] = sum(
                1 for x in executors_now if x["pool"] == name and x["health"] in answers.LIVE_HEALTH
            )
            # The head is the run claim_runs would take next: score order, then age (the client
            # appends ".asc" to the last key: order=score.desc,created_at.asc).
            head = plane.select(
                "runs",
                columns="id",
                filters={"pool": f"eq.{name}", "status": "eq.queued"},
                order="score.desc,created_at",
                limit=1,
            )
            pool["head_run"] = head[0]["id"] if head else None
            waits = plane.explain_wait(head[0]["id"]) if head else []
            pool["head_wait_reason"] = waits[0].message if waits else None
    finally:
        plane.close()
    if as_json:
        print_json(list(pools.values()))
        return
    table = _table(
        "queues", "pool", "queued", "ready", "running", "oldest", "exec", right=("queued", "ready", "running", "exec")
    )
    for pool in pools.values():
        oldest = pool.get("oldest_queued_at")
        table.add_row(
            pool["pool"],
            str(pool["queued"]),
            str(pool["ready"]),
            str(pool["running"]),
            common.duration(common.between(datetime.fromisoformat(oldest), None)) if oldest else "-",
            str(pool["healthy_executors"]),
        )
    out.print(table)
    for pool in pools.values():
        if pool["head_run"]:
            out.print(f"{pool['pool']}: head {common.short(pool['head_run'])} waits: {pool['head_wait_reason']}")
    if not pools:
        err.print("nothing queued or running")


@handles_errors()
def usage(
    since: int = typer.Option(7, min=1, max=366, help="Days back, today included."),
    workspace: str | None = typer.Option(None, "--workspace", "-w", help="Only this workspace (slug)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Run-seconds per workspace per day, against the daily budget (public.workspace_usage: each
    attempt from start to end, split at midnight of the workspace's budget time zone; queue time is
    not usage; cost-seconds weigh each pool's cost rate)."""
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=since - 1)
    plane = common.connect()
    try:
        slugs = {str(w["id"]): w["slug"] for w in plane.select("workspaces", columns="id,slug")}
        workspace_id = common.workspace(plane, workspace).id if workspace else None
        rows = plane.workspace_usage(since=start, workspace_id=workspace_id)
    finally:
        plane.close()
    days: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:  # one line per workspace and day; pools summed
        key = (r.day.isoformat(), str(r.workspace_id))
        day = days.setdefault(
            key,
            {
                "workspace": slugs.get(str(r.workspace_id), str(r.workspace_id)),
                "day": r.day.isoformat(),
                "time_zone": r.time_zone,
                "run_seconds": 0.0,
                "cost_seconds": 0.0,
                "attempts": 0,
                "daily_budget_seconds": r.daily_budget_seconds,
            },
        )
        day["run_seconds"] += r.run_seconds
        day["cost_seconds"] += r.cost_seconds
        day["attempts"] += r.attempts
    result = sorted(days.values(), key=lambda d: (d["day"], d["workspace"]))
    for d in result:
        budget = d["daily_budget_seconds"]
        d["budget_burn"] = round(d["cost_seconds"] / budget, 4) if budget else None
        d["run_seconds"], d["cost_seconds"] = round(d["run_seconds"], 1), round(d["cost_seconds"], 1)
    if as_json:
        print_json(result)
        return
    table = _table(
        f"usage since {start:%Y-%m-%d}",
        "day",
        "workspace",
        "run time",
        "cost-s",
        "budget",
        right=("run time", "cost-s", "budget"),
    )
    for d in result:
        burn = "–" if d["budget_burn"] is None else f"{d['budget_burn'] * 100:.0f} %"
        table.add_row(d["day"], d["workspace"], common.duration(d["run_seconds"]), f"{d['cost_seconds']:.0f}", burn)
    out.print(table)
    if not result:
        err.print("no run time in this window")


@handles_errors()
def logs(
    run_arg: str = typer.Argument(..., metavar="RUN", help="Run id (full, or the 8-character short form)."),
    phase: str | None = typer.Option(None, help="Only this phase (default: every phase of the latest attempt)."),
    stream: str = typer.Option("stderr", help="stderr or stdout."),
    tail: int | None = typer.Option(None, min=1, help="Only the last N lines of each log."),
    follow: bool = typer.Option(
        False, "--follow", "-f", help="Wait for the run: print each phase's log as the phase ends, until the run ends."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """A run's phase logs, read from S3; each object's SHA-256 is checked against its record first."""
    if stream not in ("stderr", "stdout"):
        fail(f"unknown stream '{stream}'", hint="--stream stderr or --stream stdout", code=2, as_json=as_json)
    client = s3_client(os.environ.get("S3_ENDPOINT_URL") or None, os.environ.get("AWS_REGION") or None)
    plane = common.connect()
    try:
        row = common.run(plane, run_arg)
        if follow:
            _follow_logs(plane, client, row.run_id, phase, stream, tail, as_json)
            return
        records = _log_records(plane, row.run_id, phase, stream)
    finally:
        plane.close()
    if not records:
        fail(
            f"no {stream} log for run {common.short(row.run_id)}" + (f" phase {phase}" if phase else ""),
            hint="Logs are uploaded when a phase ends; `controlroom run show` lists the phases; "
            "`--follow` waits for them.",
            as_json=as_json,
        )
    results = [_read_log(client, record, tail, as_json) for record in records]
    if as_json:
        print_json(results)
        return
    for result in results:
        _print_log(result, stream)


def _log_records(plane: ControlPlane, run_id: Any, phase: str | None, stream: str) -> list[Any]:
    """The log artifacts of the run's latest attempt (of one phase), oldest first."""
    records = [a for a in plane.artifacts(run_id=run_id) if a.name == LOG_NAME.format(stream=stream)]
    if records:
        latest = max(records, key=lambda a: a.created_at).attempt_id
        records = [a for a in records if a.attempt_id == latest]
    if phase is not None:
        records = [a for a in records if a.phase == phase]
    return sorted(records, key=lambda a: a.created_at)


def _read_log(client: Any, record: Any, tail: int | None, as_json: bool) -> dict[str, Any]:
    bucket, _, key = record.uri.removeprefix("s3://").partition("/")
    try:
        data = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (BotoCoreError, ClientError) as exc:
        fail(f"cannot read {record.uri}: {exc}", as_json=as_json)
    digest = hashlib.sha256(data).hexdigest()
    if digest != record.sha256:
        fail(
            f"{record.uri} does not match its record (sha256 {digest[:12]}…, recorded {record.sha256[:12]}…)",
            hint="The object changed after it was written; `controlroom artifacts verify` records this.",
            as_json=as_json,
        )
    lines = data.decode(errors="replace").splitlines()
    if tail is not None:
        lines = lines[-tail:]
    return {"phase": record.phase, "uri": record.uri, "sha256": record.sha256, "lines": lines}


def _print_log(result: dict[str, Any], stream: str) -> None:
    out.print(f"── {result['phase']} {stream} (sha256 ok) ──", style="bold")
    for line in result["lines"]:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


FOLLOW_POLL_SECONDS = 1.0


def _follow_logs(
    plane: ControlPlane, client: Any, run_id: Any, phase: str | None, stream: str, tail: int | None, as_json: bool
) -> None:
    """Each phase's log as soon as it is stored (a phase's log is uploaded when it ends), until the
    run ends; what the run is doing meanwhile goes to stderr, once per change. With --json, one
    JSON object per log, a line each."""
    shown: set[str] = set()
    said = ""
    while True:
        status = plane.run_board(run_id=run_id)[0].status
        for record in _log_records(plane, run_id, phase, stream):
            if str(record.id) in shown:
                continue
            shown.add(str(record.id))
            result = _read_log(client, record, tail, as_json)
            if as_json:
                print(json.dumps(result), flush=True)
            else:
                _print_log(result, stream)
        if status in answers.TERMINAL_STATUSES:
            if not shown:
                err.print(f"run {common.short(run_id)} is {status}; it stored no {stream} log")
            return
        if status != said:
            err.print(f"run {common.short(run_id)} is {status}; waiting for its phases to end …")
            said = status
        time.sleep(FOLLOW_POLL_SECONDS)


def register(app: typer.Typer) -> None:
    app.command()(executors)
    app.command()(queue)
    app.command()(usage)
    app.command()(logs)
