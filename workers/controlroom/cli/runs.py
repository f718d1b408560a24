"""`controlroom runs | run show | why | cancel`: the run board, one run in detail with its audit trail,
why a queued run waits, and cancelling a run."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from controlroom.cli import answers, common, lineage
from controlroom.cli.common import err, fail, handles_errors, out, print_json
from controlroom.client.models import WaitReason

run_app = typer.Typer(name="run", help="One run in detail.", no_args_is_help=True)


# -- runs ----------------------------------------------------------------------------------------


@handles_errors()
def runs(
    workspace: str | None = typer.Option(None, envvar="CONTROLROOM_WORKSPACE", help="Only this workspace (slug)."),
    status: Annotated[
        list[str] | None,
        typer.Option(help="Only these statuses: repeat it or give a comma list (queued,claimed,running,failed,…)."),
    ] = None,
    spec: str | None = typer.Option(None, help="Only runs of this spec (name)."),
    pool: str | None = typer.Option(None, help="Only runs of this pool."),
    since: str | None = typer.Option(None, help="Only runs submitted since: 30m, 6h, 2d, or an ISO time."),
    search: str | None = typer.Option(
        None, help="Only runs whose id, spec, status, pool, reason or last error contain this text."
    ),
    limit: int = typer.Option(20, min=1, max=1000, help="How many runs per page, newest first."),
    page: int = typer.Option(1, min=1, help="Which page of `limit` runs."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The run board, newest first. QUEUE is submit → start of the latest attempt, RAN is its start →
    end (to now while running); errors are cut to one line, `run show` has them in full."""
    try:
        statuses = answers.check_statuses(status or [])
        since_at = _since(since) if since else None
    except ValueError as exc:
        fail(str(exc), code=2, as_json=as_json)
    plane = common.connect()
    try:
        workspace_id = common.workspace(plane, workspace).id if workspace else None
        rows = plane.run_board(
            workspace_id=workspace_id,
            statuses=statuses,
            spec_name=spec,
            pool=pool,
            since=since_at,
            search=search,
            limit=limit,
            offset=(page - 1) * limit,
        )
    finally:
        plane.close()
    if as_json:
        print_json(rows)
        return
    title = "runs" + (f" · {workspace}" if workspace else "") + (f" · page {page}" if page > 1 else "")
    names = ("run", "spec", "status", "try", "created", "queue", "ran")
    today = datetime.now().astimezone().date()
    cells: list[tuple[str | Text, ...]] = [
        (
            common.short(row.run_id),
            f"{row.spec_name}@{row.spec_version}",
            common.status_text(row.status),
            f"{row.attempt_count}/{row.max_attempts}" if row.max_attempts else str(row.attempt_count),
            _created(row.created_at, today),
            common.duration(common.between(row.created_at, row.started_at or row.finished_at)),
            common.duration(common.between(row.started_at, row.finished_at)),
        )
        for row in rows
    ]
    errors = [common.last_error(row) for row in rows]
    table = common.one_line_table(title, names, cells, "error", errors, right=("try", "queue", "ran"))
    out.print(table)
    if not rows:
        err.print("no runs" + (" on this page" if page > 1 else ""))
    elif len(rows) == limit:
        err.print(f"more: --page {page + 1}", style="dim")


def _created(at: datetime, today: date) -> str:
    moment = at.astimezone()
    return f"{moment:%H:%M:%S}" if moment.date() == today else f"{moment:%m-%d %H:%M}"


_SINCE = {"m": "minutes", "h": "hours", "d": "days"}


def _since(text: str) -> datetime:
    raw = text.strip()
    if raw[:-1].isdigit() and raw[-1:] in _SINCE:
        return datetime.now(UTC) - timedelta(**{_SINCE[raw[-1]]: int(raw[:-1])})
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"--since {text!r} is neither a duration (30m, 6h, 2d) nor an ISO time") from None
    return parsed if parsed.tzinfo else parsed.astimezone()


# -- run show ------------------------------------------------------------------------------------


@run_app.command("show")
@handles_errors()
def show(
    run_arg: str = typer.Argument(..., metavar="RUN", help="Run id (full, or the 8-character short form)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """A run: its board row, its attempts and the audit trail of its status (who, when, why)."""
    plane = common.connect()
    try:
        row = common.run(plane, run_arg)
        attempts = plane.run_attempts(row.run_id)
        transitions = plane.run_transitions(row.run_id)
        waits = plane.explain_wait(row.run_id) if row.status == "queued" else []
        events = sorted(plane.run_events(row.run_id), key=common.event_order)
        detail = plane.select(
            "runs", columns="params,required_labels,not_before,status_reason", filters={"id": f"eq.{row.run_id}"}
        )
        slug = plane.select("workspaces", columns="slug", filters={"id": f"eq.{row.workspace_id}"})
        parent, children = lineage.lineage_of(plane, row.run_id)
        wait = waits[0].message if waits else None  # the control plane's most specific reason
    finally:
        plane.close()
    phases = answers.phases_from_events(events)
    params = detail[0]["params"] if detail else {}
    labels = detail[0]["required_labels"] if detail else {}
    if as_json:
        print_json(
            {
                "run": row,
                "workspace_slug": slug[0]["slug"] if slug else None,
                "params": params,
                "required_labels": labels,
                "wait_reason": wait,
                "waiting": waits,
                "phases": phases,
                "attempts": attempts,
                "transitions": transitions,
                "lineage": lineage.lineage_json(parent, children),
            }
        )
        return
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    facts.add_row("run", str(row.run_id))
    facts.add_row("spec", f"{row.spec_name}@{row.spec_version} ({row.spec_hash[:12]})")
    facts.add_row("workspace", slug[0]["slug"] if slug else str(row.workspace_id))
    facts.add_row("status", common.status_text(row.status))
    facts.add_row("pool · priority", f"{row.pool} · {row.priority}")
    facts.add_row("attempts", f"{row.attempt_count} of at most {row.max_attempts}")
    facts.add_row("created", common.local_time(row.created_at))
    if row.finished_at:
        facts.add_row("finished", common.local_time(row.finished_at))
    facts.add_row("queue time", common.duration(common.between(row.created_at, row.started_at or row.finished_at)))
    if row.started_at:
        facts.add_row("run time", common.duration(common.between(row.started_at, row.finished_at)))
    facts.add_row("params", json.dumps(params, ensure_ascii=False) if params else "-")
    facts.add_row("labels", ", ".join(f"{k}={v}" for k, v in labels.items()) if labels else "-")
    if waits:  # the control plane's reasons (explain_wait), most specific first
        facts.add_row("waiting", why_paragraph(waits))
    elif wait:
        facts.add_row("waiting", wait)
    if row.cancel_requested_at:
        facts.add_row("cancel requested", common.local_time(row.cancel_requested_at))
    facts.add_row("last change", f"{row.status_changed_by}: {row.status_reason}")
    if row.last_error_class:
        facts.add_row("last error", common.last_error(row))
    lineage.add_lineage_facts(facts, parent, children)
    out.print(facts)

    if phases:
        grid = Table(title="phases (latest attempt)", title_justify="left", box=box.SIMPLE_HEAD)
        for name in ("phase", "status", "took", "exit", "cap"):
            grid.add_column(name, no_wrap=True, justify="right" if name in ("took", "exit") else "left")
        for p in phases:
            took = p.get("duration_seconds")
            grid.add_row(
                p["phase"],
                common.status_text(p.get("status")),
                common.duration(took) if isinstance(took, int | float) else "",
                "" if p.get("exit_code") is None else str(p["exit_code"]),
                answers.cap_text(p.get("breach")),
            )
        out.print(grid)
        for p in phases:
            if p["stderr_tail"]:
                out.print(f"stderr tail of {p['phase']}:", style="bold")
                for line in p["stderr_tail"]:
                    out.print("  " + line, markup=False, highlight=False, soft_wrap=True)

    day = common.local_day(row.created_at)
    names = ("#", "status", "executor", "claimed", "started", "finished", "took")
    cells: list[tuple[str | Text, ...]] = [
        (
            str(a.attempt_no),
            common.status_text(a.status),
            common.short(a.executor_id),
            common.local_time(a.claimed_at, day=day),
            common.local_time(a.started_at, day=day),
            common.local_time(a.finished_at, day=day),
            common.duration(common.between(a.started_at or a.claimed_at, a.finished_at)),
        )
        for a in attempts
    ]
    # one line per attempt; the full error is under "last error" above
    errors = [f"{a.error_class}: {a.error_message or ''}" if a.error_class else "" for a in attempts]
    table = common.one_line_table("attempts", names, cells, "error", errors, right=("#", "took"))
    out.print(table)

    trail = Table(title="transitions", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("at", "attempt", "from", "to", "actor", "reason"):
        trail.add_column(name, overflow="fold", no_wrap=name in ("at", "actor"))
    for t in transitions:
        trail.add_row(
            common.local_time(t.at, millis=True, day=day),
            str(t.attempt_no or ""),
            t.from_status or "",
            common.status_text(t.to_status),
            _actor(t.actor),
            t.reason,
        )
    out.print(trail)


def _actor(actor: str) -> str:
    """executor:<uuid> → executor:<short id> (the JSON output keeps the whole id)."""
    kind, sep, ident = actor.partition(":")
    return f"{kind}:{common.short(ident)}" if sep and kind in ("executor", "user") else actor


# -- why ---------------------------------------------------------------------------------------


def why_paragraph(waits: list[WaitReason]) -> str:
    """The reasons in one paragraph, most specific first (explain_wait's order)."""
    sentences = [w.message[:1].upper() + w.message[1:] for w in waits]
    return ". ".join(sentences) + "."


@handles_errors()
def why(
    run_arg: str = typer.Argument(..., metavar="RUN", help="Run id (full, or the 8-character short form)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Why a queued run is not being claimed: executors, labels, caps, budget, backoff, its place in line."""
    plane = common.connect()
    try:
        row = common.run(plane, run_arg)
        waits = plane.explain_wait(row.run_id)
    finally:
        plane.close()
    if as_json:
        print_json(waits)
        return
    out.print(
        f"run {common.short(row.run_id)} ({row.spec_name}@{row.spec_version}, {row.status}): {why_paragraph(waits)}"
    )


# -- cancel --------------------------------------------------------------------------------------


@handles_errors()
def cancel(
    run_arg: str = typer.Argument(..., metavar="RUN", help="Run id (full, or the 8-character short form)."),
    reason: str | None = typer.Option(None, help="Why (kept in the audit trail)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Cancel a run: a queued run ends at once; a running one stops at its executor's next heartbeat."""
    plane = common.connect()
    try:
        row = common.run(plane, run_arg)
        result = plane.cancel_run(row.run_id, reason)
    finally:
        plane.close()
    if as_json:
        print_json(result)
    elif result.status == "cancelled":
        out.print(f"run {result.id} cancelled")
    else:
        out.print(
            f"cancel requested for run {result.id} ({result.status}); its executor stops it at the next heartbeat"
        )


def register(app: typer.Typer) -> None:
    app.command("runs")(runs)
    app.add_typer(run_app)
    app.command()(why)
    app.command()(cancel)
