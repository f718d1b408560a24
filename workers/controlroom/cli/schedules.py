"""`controlroom schedules | schedules pause NAME | schedules resume NAME`: the schedules the current spec
versions declare, with their next fire time and last run, and pausing them during an incident."""

from __future__ import annotations

import typer
from rich.text import Text

from controlroom.cli import common
from controlroom.cli.common import fail, handles_errors, out, print_json
from controlroom.client.models import ScheduleBoardRow, ScheduleRow

schedules_app = typer.Typer(
    name="schedules",
    help="Cron schedules of the published specs: list them (next fire, last run, paused), pause, resume.",
    invoke_without_command=True,
)

WORKSPACE_HELP = "Workspace (slug)."


@schedules_app.callback()
@handles_errors()
def schedules(
    ctx: typer.Context,
    workspace: str | None = typer.Option(None, envvar="CONTROLROOM_WORKSPACE", help="Only this workspace (slug)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every schedule you can see: spec@version/name, cron and time zone, next fire time, the last
    tick's run and its status, and whether it is paused. Times are local."""
    if ctx.invoked_subcommand is not None:
        return
    plane = common.connect()
    try:
        workspace_id = common.workspace(plane, workspace).id if workspace else None
        rows = plane.schedule_board(workspace_id=workspace_id)
    finally:
        plane.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print(
            "no schedules" + (f" in {workspace}" if workspace else "") + "; declare them under schedules: in a spec"
        )
        return
    title = "schedules" + (f" · {workspace}" if workspace else "")
    names = ("schedule", "cron", "next", "last", "run", "status")
    cells: list[tuple[str | Text, ...]] = [_cells(row) for row in rows]
    table = common.one_line_table(title, names, cells, "note", [_note(row) for row in rows])
    out.print(table)


def _cells(row: ScheduleBoardRow) -> tuple[str | Text, ...]:
    return (
        f"{row.spec_name}@{row.spec_version}/{row.name}",
        row.cron if row.timezone == "UTC" else f"{row.cron} {row.timezone}",
        Text("paused", style="yellow") if row.paused else common.local_time(row.next_fire_at) or "never",
        common.local_time(row.last_fire_at),
        common.short(row.last_run_id),
        common.status_text(row.last_run_status or (row.last_outcome if row.last_outcome == "rejected" else None)),
    )


def _note(row: ScheduleBoardRow) -> str:
    if row.last_outcome == "rejected":
        return f"{row.last_code}: {row.last_message or ''}"
    if row.paused:
        return f"paused by {row.paused_by or '?'} at {common.local_time(row.paused_at)}"
    return ""


def _target(name: str) -> tuple[str | None, str]:
    """SPEC/SCHEDULE or SCHEDULE."""
    spec, _, schedule = name.rpartition("/")
    return (spec or None), schedule


def _switch(name: str, workspace: str | None, *, pause: bool, as_json: bool) -> None:
    if not workspace:
        fail("which workspace?", hint="Pass --workspace SLUG or set CONTROLROOM_WORKSPACE.", code=2, as_json=as_json)
    spec_name, schedule = _target(name)
    plane = common.connect()
    try:
        workspace_id = common.workspace(plane, workspace).id
        call = plane.pause_schedule if pause else plane.resume_schedule
        result: ScheduleRow = call(workspace_id, schedule, spec_name)
    finally:
        plane.close()
    if as_json:
        print_json(result)
    elif result.paused:
        out.print(f"schedule {result.spec_name}/{result.name} paused; ticks skip it until resumed")
    else:
        next_fire = common.local_time(result.next_fire_at) or "never"
        out.print(
            f"schedule {result.spec_name}/{result.name} resumed; next fire {next_fire} (paused ticks are not caught up)"
        )


@schedules_app.command("pause")
@handles_errors()
def pause(
    name: str = typer.Argument(..., metavar="NAME", help="SCHEDULE, or SPEC/SCHEDULE when several specs use the name."),
    workspace: str | None = typer.Option(None, envvar="CONTROLROOM_WORKSPACE", help=WORKSPACE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Pause a schedule: ticks skip it until `schedules resume` (or a publish that changes its paused)."""
    _switch(name, workspace, pause=True, as_json=as_json)


@schedules_app.command("resume")
@handles_errors()
def resume(
    name: str = typer.Argument(..., metavar="NAME", help="SCHEDULE, or SPEC/SCHEDULE when several specs use the name."),
    workspace: str | None = typer.Option(None, envvar="CONTROLROOM_WORKSPACE", help=WORKSPACE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Resume a schedule: it fires next at its first fire time from now; paused fire times are skipped."""
    _switch(name, workspace, pause=False, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(schedules_app)
