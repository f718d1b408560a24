"""`controlroom events RUN [--follow]`: a run's events in order, as a table, lines or JSON."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any
from uuid import UUID

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from controlroom.cli import common
from controlroom.cli.common import err, handles_errors, out, print_json
from controlroom.client.models import RunEvent

FOLLOW_POLL_SECONDS = 1.0


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
        batch = sorted(plane.run_events(row.run_id), key=common.event_order)
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
            batch = sorted(plane.run_events(row.run_id, after_id=last_id), key=common.event_order)
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


def register(app: typer.Typer) -> None:
    app.command()(events)
