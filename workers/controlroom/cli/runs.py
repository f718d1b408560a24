"""`controlroom submit | runs | run show | events | cancel`: runs as people and services see them."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from pydantic import JsonValue
from rich import box
from rich.live import Live
from rich.table import Table
from rich.text import Text

from controlroom.cli import common
from controlroom.cli.common import err, fail, handles_errors, out, print_json
from controlroom.client.control_plane import ControlPlane
from controlroom.client.models import PublishedSpec, RunAttempt, RunBoardRow, RunEvent
from controlroom.specs.canonical import canonical_body
from controlroom.specs.load import SPEC_SUFFIXES, load_spec, parse_spec
from controlroom.specs.params import resolve_params
from controlroom.specs.problems import SpecError

POLL_SECONDS = 0.5
FOLLOW_POLL_SECONDS = 1.0

run_app = typer.Typer(name="run", help="One run in detail.", no_args_is_help=True)


# -- submit --------------------------------------------------------------------------------------


def parse_param(text: str) -> tuple[str, JsonValue]:
    """`k=v`: v as JSON when it parses (numbers, true/false, null, objects, lists), else the text itself."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise typer.BadParameter(f"{text!r} is not k=v; write e.g. --param who=ada", param_hint="--param")

    def no_constants(name: str) -> Any:
        raise ValueError(name)  # NaN and Infinity are not JSON

    try:
        value: JsonValue = json.loads(raw, parse_constant=no_constants)
    except ValueError:
        value = raw
    return key.strip(), value


@dataclass(frozen=True)
class Target:
    workspace_slug: str
    name: str
    version: str | None
    local_body: dict[str, Any] | None  # when SPEC is a file: what it means


def _target(spec_arg: str, workspace: str | None, version: str | None) -> Target:
    path = Path(spec_arg)
    if path.suffix in SPEC_SUFFIXES or path.is_file():
        try:
            spec = load_spec(path)
        except SpecError as exc:
            for problem in exc.problems:
                typer.echo(str(problem))
            fail(f"{path} does not validate; nothing submitted")
        return Target(workspace or spec.workspace, spec.name, version or str(spec.version), canonical_body(spec))
    if workspace is None:
        fail(
            f"which workspace is {spec_arg} in?",
            hint="Pass --workspace SLUG (or export CONTROLROOM_WORKSPACE), or give the path of the spec file.",
        )
    return Target(workspace, spec_arg, version, None)


def _latest(specs: list[PublishedSpec]) -> PublishedSpec:
    # The control plane's rule for "latest": the highest integer version, else the newest publication.
    def key(index_spec: tuple[int, PublishedSpec]) -> tuple[int, int, int]:
        index, spec = index_spec
        numeric = spec.version.isdigit() and len(spec.version) <= 18
        return (1 if numeric else 0, int(spec.version) if numeric else 0, index)

    return max(enumerate(specs), key=key)[1]


@handles_errors()
def submit(
    spec_arg: str = typer.Argument(..., metavar="SPEC", help="A spec name, or the path of a spec file."),
    workspace: str | None = typer.Option(
        None, envvar="CONTROLROOM_WORKSPACE", help="Workspace slug (default: the spec file's)."
    ),
    version: str | None = typer.Option(None, help="Spec version (default: the file's, or the latest published)."),
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="A run parameter k=v (v parsed as JSON if it can be).")
    ] = None,
    priority: int = typer.Option(0, min=-1000, max=1000, help="Higher runs first."),
    idempotency_key: str | None = typer.Option(None, help="Submitting again with this key returns the same run."),
    wait: bool = typer.Option(False, "--wait", help="Follow the run until it ends; exit 0 only if it succeeded."),
    timeout: float | None = typer.Option(None, min=0, help="With --wait: give up waiting after this many seconds."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Queue a run of a published spec, with its parameters checked (and defaults filled in) first."""
    params = dict(parse_param(item) for item in param or [])
    target = _target(spec_arg, workspace, version)
    plane = common.connect()
    try:
        ws = common.workspace(plane, target.workspace_slug)
        published = plane.published_specs(ws.id, target.name, target.version)
        if not published:
            what = f"{target.name}@{target.version}" if target.version else target.name
            fail(
                f"spec {what} is not published in workspace {ws.slug}",
                hint="Publish it first: controlroom spec publish <file>.",
            )
        chosen = _latest(published)
        if target.local_body is not None and chosen.body != target.local_body:
            fail(
                f"{spec_arg} differs from the published {chosen.name}@{chosen.version}",
                hint="Bump `version` and publish it (controlroom spec diff shows what changed), "
                "or submit the published version by name.",
            )
        resolved = _resolve(chosen, params)
        run = plane.submit_run(
            ws.id,
            spec_name=chosen.name,
            spec_version=chosen.version,
            params=resolved,
            priority=priority,
            idempotency_key=idempotency_key,
        )
        if not wait:
            if as_json:
                print_json(run)
            else:
                out.print(
                    f"submitted run [bold]{run.id}[/] of {chosen.name}@{chosen.version} in {ws.slug}: ",
                    common.status_text(run.status),
                )
            return
        if not as_json:
            err.print(f"submitted run [bold]{run.id}[/] of {chosen.name}@{chosen.version} in {ws.slug}")
        final = _wait(plane, run.id, timeout, show=not as_json)
        events = plane.run_events(run.id)
        attempts = plane.run_attempts(run.id)
    finally:
        plane.close()
    phases = phase_summary(events, attempts)
    if as_json:
        print_json({"run": final, "phases": phases})
    else:
        _print_phases(phases)
        _print_ending(final)
    if final.status != "succeeded":  # failed, cancelled, timed out, or still going after --timeout
        raise typer.Exit(1)


def _resolve(spec: PublishedSpec, params: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """Defaults filled in and values checked against the spec's params schema, before anything is queued."""
    try:
        model = parse_spec(spec.body, f"{spec.name}@{spec.version}")
    except SpecError:
        return params  # a body this client cannot read: the executor will judge the params
    try:
        return resolve_params(model, params)
    except SpecError as exc:
        for problem in exc.problems:
            typer.echo(str(problem))
        fail(f"parameters do not match the params schema of {spec.name}@{spec.version}; nothing submitted")


def _wait(plane: ControlPlane, run_id: UUID, timeout: float | None, *, show: bool) -> RunBoardRow:
    started = time.monotonic()
    last_event: int | None = None
    phase = ""
    row = common.run(plane, str(run_id))

    def frame() -> Text:
        where = f" · phase {phase}" if phase else ""
        attempt = f" · attempt {row.attempt_count}" if row.attempt_count else ""
        return Text.assemble(
            ("⏳ run ", "dim"),
            (common.short(run_id), "bold"),
            " ",
            common.status_text(row.status),
            attempt,
            where,
            (f" · {common.duration(time.monotonic() - started)}", "dim"),
        )

    # The live line goes to stderr and disappears at the end; --json keeps stderr quiet.
    live = Live(frame(), console=err, transient=True, auto_refresh=False) if show else None
    try:
        if live is not None:
            live.start()
        while True:
            for event in plane.run_events(run_id, after_id=last_event):
                last_event = event.id
                if event.phase and event.type.startswith("phase."):
                    phase = event.phase
            row = common.run(plane, str(run_id))
            if live is not None:
                live.update(frame(), refresh=True)
            if row.status in common.TERMINAL:
                return row
            if timeout is not None and time.monotonic() - started >= timeout:
                err.print(
                    f"run {run_id} is still {row.status} after {common.duration(timeout)}; it goes on "
                    f"(follow it with `controlroom events {run_id} --follow`, stop it with `controlroom cancel`)"
                )
                return row
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        if live is not None:
            live.stop()
        fail(f"stopped waiting; run {run_id} goes on", hint=f"controlroom events {run_id} --follow", code=130)
    finally:
        if live is not None:
            live.stop()


def phase_summary(events: list[RunEvent], attempts: list[RunAttempt]) -> list[dict[str, Any]]:
    """One entry per (attempt, phase) from phase.started / phase.finished events, in order."""
    numbers = {a.id: a.attempt_no for a in attempts}
    phases: dict[tuple[int | None, str], dict[str, Any]] = {}
    for event in sorted(events, key=_event_order):
        if event.type not in ("phase.started", "phase.finished") or not event.phase:
            continue
        no = numbers.get(event.attempt_id) if event.attempt_id else None
        entry = phases.setdefault(
            (no, event.phase),
            {"attempt": no, "phase": event.phase, "status": "running", "started_at": None, "finished_at": None},
        )
        entry.setdefault("duration_seconds", None)
        if event.type == "phase.started":
            entry["started_at"] = event.ts
        else:
            entry["finished_at"] = event.ts
            entry["status"] = str(event.payload.get("status") or "finished")
            seconds = event.payload.get("duration_seconds")
            entry["duration_seconds"] = (
                float(seconds) if isinstance(seconds, int | float) else common.between(entry["started_at"], event.ts)
            )
    return list(phases.values())


def _event_order(event: RunEvent) -> tuple[datetime, int, int]:
    return (event.ts, event.seq if event.seq is not None else -1, event.id)


def _print_phases(phases: list[dict[str, Any]]) -> None:
    table = Table(title="phases", title_justify="left")
    table.add_column("attempt", justify="right")
    table.add_column("phase")
    table.add_column("status")
    table.add_column("duration", justify="right")
    table.add_column("started")
    for p in phases:
        table.add_row(
            str(p["attempt"] or ""),
            p["phase"],
            common.status_text(p["status"]),
            common.duration(p["duration_seconds"]),
            common.local_time(p["started_at"], day=datetime.now().astimezone().date()),
        )
    out.print(table)


def _print_ending(row: RunBoardRow) -> None:
    line = Text.assemble("run ", (str(row.run_id), "bold"), " ", common.status_text(row.status))
    total = common.between(row.created_at, row.finished_at)
    if row.finished_at is not None:
        line.append(f" after {common.duration(total)}")
    if row.status not in ("succeeded", "queued", "claimed", "running"):
        reason = _last_error(row) or row.status_reason
        if reason:
            line.append(f": {reason}")
    out.print(line, soft_wrap=True)


def _last_error(row: RunBoardRow) -> str:
    if row.last_error_class:
        return f"{row.last_error_class}: {row.last_error_message or ''}".strip().rstrip(":")
    return ""


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
            _last_error(row),
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
        facts.add_row("last error", _last_error(row))
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


# -- events --------------------------------------------------------------------------------------


def _event_json(event: RunEvent, numbers: dict[UUID, int]) -> dict[str, Any]:
    data: dict[str, Any] = event.model_dump(mode="json")
    data["attempt_no"] = numbers.get(event.attempt_id) if event.attempt_id else None
    return data


def _event_line(event: RunEvent, numbers: dict[UUID, int]) -> Text:
    no = numbers.get(event.attempt_id) if event.attempt_id else None
    return Text.assemble(
        common.local_time(event.ts, millis=True),
        f"  #{no or '-':<2} ",
        (f"{event.level:<8}", common.LEVEL_STYLES.get(event.level, "")),
        (f"{event.type:<24}", "bold"),
        f" {event.phase or '-':<16} ",
        event.message or "",
    )


@handles_errors()
def events(
    run_arg: str = typer.Argument(..., metavar="RUN", help="Run id (full, or the 8-character short form)."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new events until the run ends."),
    as_json: bool = typer.Option(False, "--json", help="JSON (with --follow: one object per line)."),
) -> None:
    """A run's events in order: time, attempt, level, type, phase, message."""
    plane = common.connect()
    try:
        row = common.run(plane, run_arg)
        numbers = {a.id: a.attempt_no for a in plane.run_attempts(row.run_id)}
        batch = sorted(plane.run_events(row.run_id), key=_event_order)
        if not follow:
            if as_json:
                print_json([_event_json(e, numbers) for e in batch])
                return
            _print_event_table(batch, numbers, common.local_day(row.created_at))
            return
        last_id: int | None = None
        while True:
            for event in batch:
                if event.attempt_id and event.attempt_id not in numbers:
                    numbers = {a.id: a.attempt_no for a in plane.run_attempts(row.run_id)}
                if as_json:
                    typer.echo(json.dumps(_event_json(event, numbers), ensure_ascii=False))
                else:
                    out.print(_event_line(event, numbers), soft_wrap=True)
                last_id = max(last_id or 0, event.id)
            if row.status in common.TERMINAL:
                # The run ended before this read: whatever was stored up to now has been printed.
                break
            time.sleep(FOLLOW_POLL_SECONDS)
            row = common.run(plane, str(row.run_id))
            batch = sorted(plane.run_events(row.run_id, after_id=last_id), key=_event_order)
    finally:
        plane.close()
    if not as_json:
        err.print(Text.assemble("run ended: ", common.status_text(row.status)))


def _print_event_table(batch: list[RunEvent], numbers: dict[UUID, int], day: date | None) -> None:
    title = f"events · {day:%Y-%m-%d}" if day else "events"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("time", no_wrap=True)
    table.add_column("att", justify="right")
    table.add_column("level")
    table.add_column("type")
    table.add_column("phase")
    table.add_column("message", overflow="fold")
    for event in batch:
        no = numbers.get(event.attempt_id) if event.attempt_id else None
        table.add_row(
            common.local_time(event.ts, millis=True, day=day),
            str(no or ""),
            Text(event.level, style=common.LEVEL_STYLES.get(event.level, "")),
            event.type,
            event.phase or "",
            event.message or "",
        )
    out.print(table)


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
    app.command()(submit)
    app.command("runs")(runs)
    app.add_typer(run_app)
    app.command()(events)
    app.command()(cancel)
