"""`controlroom submit`: queue a run of a published spec, parameters checked first; with --wait, follow it
to its end and show its phases."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from pydantic import JsonValue
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
    for event in sorted(events, key=common.event_order):
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
        reason = common.last_error(row) or row.status_reason
        if reason:
            line.append(f": {reason}")
    out.print(line, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(submit)
