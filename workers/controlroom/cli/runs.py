"""`controlroom runs | run show | cancel`: the run board, one run in detail with its audit trail, and
cancelling a run."""

from __future__ import annotations

from datetime import datetime

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from controlroom.cli import common
from controlroom.cli.common import err, handles_errors, out, print_json

run_app = typer.Typer(name="run", help="One run in detail.", no_args_is_help=True)


# -- runs ----------------------------------------------------------------------------------------


@handles_errors()
def runs(
    workspace: str | None = typer.Option(None, envvar="CONTROLROOM_WORKSPACE", help="Only this workspace (slug)."),
    status: str | None = typer.Option(None, help="Only runs in this status (queued, running, failed, …)."),
    limit: int = typer.Option(20, min=1, max=1000, help="How many of the newest runs."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The run board: newest runs first."""
    plane = common.connect()
    try:
        workspace_id = common.workspace(plane, workspace).id if workspace else None
        rows = plane.run_board(workspace_id=workspace_id, status=status, limit=limit)
    finally:
        plane.close()
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"runs{' · ' + workspace if workspace else ''}", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("run", no_wrap=True)
    table.add_column("spec", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("tries", justify="right", no_wrap=True)
    table.add_column("created", no_wrap=True)
    today = datetime.now().astimezone().date()
    table.add_column("duration", justify="right")
    table.add_column("last error", overflow="fold")
    for row in rows:
        active = row.finished_at is None
        table.add_row(
            common.short(row.run_id),
            f"{row.spec_name}@{row.spec_version}",
            common.status_text(row.status),
            f"{row.attempt_count}/{row.max_attempts}" if row.max_attempts else str(row.attempt_count),
            common.local_time(row.created_at, day=today),
            Text(common.duration(common.between(row.created_at, row.finished_at)), style="dim" if active else ""),
            common.last_error(row),
        )
    out.print(table)
    if not rows:
        err.print("no runs")


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
    finally:
        plane.close()
    if as_json:
        print_json({"run": row, "attempts": attempts, "transitions": transitions})
        return
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    facts.add_row("run", str(row.run_id))
    facts.add_row("spec", f"{row.spec_name}@{row.spec_version} ({row.spec_hash[:12]})")
    facts.add_row("workspace", str(row.workspace_id))
    facts.add_row("status", common.status_text(row.status))
    facts.add_row("pool · priority", f"{row.pool} · {row.priority}")
    facts.add_row("attempts", f"{row.attempt_count} of at most {row.max_attempts}")
    facts.add_row("created", common.local_time(row.created_at))
    if row.finished_at:
        facts.add_row("finished", common.local_time(row.finished_at))
    facts.add_row("duration", common.duration(common.between(row.created_at, row.finished_at)))
    if row.cancel_requested_at:
        facts.add_row("cancel requested", common.local_time(row.cancel_requested_at))
    facts.add_row("last change", f"{row.status_changed_by}: {row.status_reason}")
    if row.last_error_class:
        facts.add_row("last error", common.last_error(row))
    out.print(facts)

    day = common.local_day(row.created_at)
    table = Table(title="attempts", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("#", "status", "executor", "claimed", "started", "finished", "duration", "error"):
        table.add_column(name, justify="right" if name in ("#", "duration") else "left")
    for a in attempts:
        table.add_row(
            str(a.attempt_no),
            common.status_text(a.status),
            common.short(a.executor_id),
            common.local_time(a.claimed_at, day=day),
            common.local_time(a.started_at, day=day),
            common.local_time(a.finished_at, day=day),
            common.duration(common.between(a.started_at or a.claimed_at, a.finished_at)),
            f"{a.error_class}: {a.error_message or ''}" if a.error_class else "",
        )
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
    app.command()(cancel)
