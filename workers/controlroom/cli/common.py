"""What the user-facing commands share: who they act as, how they name runs and workspaces, how they
print errors, times and statuses.

Identity: a person exports CONTROLROOM_TOKEN (their access token); a trusted host or the local
stack falls back to SUPABASE_SERVICE_ROLE_KEY. RLS decides what either may see and do.

Run ids: a full uuid always works. The 8-character short form that tables show is accepted too,
resolved by prefix among the newest visible runs (PostgREST cannot prefix-match a uuid column);
a prefix that matches nothing there or more than one run is refused with the candidates.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, NoReturn, ParamSpec, TypeVar
from uuid import UUID

import typer
from pydantic import BaseModel
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import ConfigurationError, ControlPlaneError, NotFound
from controlroom.client.models import RunBoardRow, RunEvent, Workspace

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

TERMINAL = frozenset({"succeeded", "failed", "cancelled", "timed_out"})
STATUS_STYLES = {
    "queued": "cyan",
    "claimed": "blue",
    "running": "yellow",
    "succeeded": "green",
    "failed": "red",
    "cancelled": "magenta",
    "timed_out": "red",
    "lost": "dim red",
}
LEVEL_STYLES = {"debug": "dim", "info": "", "warning": "yellow", "error": "red", "critical": "bold red"}
SHORT_ID = 8
RECENT_RUNS_SCANNED = 1000
_HEXISH = re.compile(r"^[0-9a-f-]+$")

P = ParamSpec("P")
R = TypeVar("R")


# -- identity ------------------------------------------------------------------------------------


def connect() -> ControlPlane:
    """The control plane as the person (CONTROLROOM_TOKEN) or the trusted service (service-role key)."""
    bearer = os.environ.get("CONTROLROOM_TOKEN") or os.environ.get("SUPABASE_SERVICE_ROLE_KEY")
    if not bearer:
        raise ConfigurationError(
            "No credentials to act with. Export CONTROLROOM_TOKEN=<your access token> (a Supabase user's "
            "access token), or SUPABASE_SERVICE_ROLE_KEY on a trusted host; for the local stack run "
            '`eval "$(controlroom env)"`.'
        )
    # The anon key identifies the project (the `apikey` header); the bearer says who is calling.
    api_key = os.environ.get("SUPABASE_ANON_KEY") or os.environ.get("SUPABASE_SERVICE_ROLE_KEY")
    return ControlPlane.connect(api_key=api_key, access_token=bearer)


# -- errors --------------------------------------------------------------------------------------


def fail(message: str, hint: str | None = None, code: int = 1, *, as_json: bool = False) -> NoReturn:
    """Print one error paragraph (or, for --json, one JSON object on stderr) and exit."""
    if as_json:
        typer.echo(json.dumps({"error": {"message": message, "hint": hint}}, ensure_ascii=False), err=True)
        raise typer.Exit(code)
    err.print(Text.assemble(("error: ", "bold red"), message, f" (hint: {hint})" if hint else ""), soft_wrap=True)
    raise typer.Exit(code)


def handles_errors(exit_code: int = 1) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Control-plane refusals become one paragraph (code, message, hint) and an exit code, in-process
    too (tests drive the app with CliRunner, which bypasses cli.main's handler)."""

    def decorate(command: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(command)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return command(*args, **kwargs)
            except ControlPlaneError as exc:
                if kwargs.get("as_json"):  # --json: the error as JSON too, so a script can branch on it
                    body = {"code": exc.code, "message": exc.message, "hint": exc.hint}
                    typer.echo(json.dumps({"error": body}, ensure_ascii=False, default=str), err=True)
                else:
                    err.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
                raise typer.Exit(exit_code) from None

        return wrapper

    return decorate


# -- names ---------------------------------------------------------------------------------------


def workspace(plane: ControlPlane, slug: str) -> Workspace:
    found = plane.workspace_by_slug(slug)
    if found is None:
        raise NotFound(
            f"workspace {slug} not found",
            code="PT404",
            hint="Check the slug; workspaces you are not a member of are not visible. "
            "`controlroom spec publish --create-workspace` creates it from a spec.",
        )
    return found


def run(plane: ControlPlane, text: str) -> RunBoardRow:
    """The run board row of a full run id or a unique short prefix (≥ 8 hex characters)."""
    wanted = text.strip().lower()
    try:
        run_id = UUID(wanted)
    except ValueError:
        if not _HEXISH.match(wanted) or len(wanted.replace("-", "")) < SHORT_ID:
            fail(
                f"{text!r} is not a run id",
                hint=f"Give the full run id or its first {SHORT_ID} characters, as `controlroom runs` shows them.",
            )
        matches = [rid for rid in plane.recent_run_ids(RECENT_RUNS_SCANNED) if str(rid).startswith(wanted)]
        if not matches:
            raise NotFound(
                f"run {text} not found",
                code="PT404",
                hint=f"A short id is looked up among the {RECENT_RUNS_SCANNED} newest runs you can see; "
                "give the full id (`controlroom runs --json`).",
            ) from None
        if len(matches) > 1:
            fail(
                f"run id {text} is ambiguous: it starts {len(matches)} runs ({', '.join(map(str, matches[:5]))})",
                hint="Give more characters or the full id.",
            )
        run_id = matches[0]
    rows = plane.run_board(run_id=run_id)
    if not rows:
        raise NotFound(
            f"run {run_id} not found",
            code="PT404",
            hint="Check the id; runs of workspaces you are not a member of are not visible.",
        )
    return rows[0]


# -- output --------------------------------------------------------------------------------------


def print_json(data: Any) -> None:
    """Machine-readable output: plain JSON on stdout, never wrapped or coloured."""
    typer.echo(json.dumps(_plain(data), indent=2, ensure_ascii=False, default=str))


def _plain(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list | tuple):
        return [_plain(item) for item in data]
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    return data


def short(value: UUID | str | None) -> str:
    return str(value)[:SHORT_ID] if value is not None else ""


def local_time(value: datetime | None, *, millis: bool = False, day: date | None = None) -> str:
    """Local wall-clock time; the date is left out when it is `day` (tables of one run's doings)."""
    if value is None:
        return ""
    moment = value.astimezone()
    text = moment.strftime("%H:%M:%S") + (f".{moment.microsecond // 1000:03d}" if millis else "")
    return text if moment.date() == day else f"{moment:%Y-%m-%d} {text}"


def local_day(value: datetime | None) -> date | None:
    return value.astimezone().date() if value is not None else None


def duration(seconds: float | None) -> str:
    """1.2s, 4m 05s, 2h 03m, 3d 04h."""
    if seconds is None:
        return ""
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


def between(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from start to end (to now while end is unknown)."""
    if start is None:
        return None
    return ((end or datetime.now(UTC)) - start).total_seconds()


def status_text(status: str | None) -> Text:
    return Text(status or "", style=STATUS_STYLES.get(status or "", ""))


def last_error(row: RunBoardRow) -> str:
    """`ErrorClass: message` of a run's last failed attempt, or ""."""
    if row.last_error_class:
        return f"{row.last_error_class}: {row.last_error_message or ''}".strip().rstrip(":")
    return ""


def event_order(event: RunEvent) -> tuple[datetime, int, int]:
    """Events in the order they happened: time, then the attempt's sequence number, then storage order."""
    return (event.ts, event.seq if event.seq is not None else -1, event.id)


def size(num_bytes: int) -> str:
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{num_bytes} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{num_bytes} B"


def one_line_table(
    title: str,
    names: tuple[str, ...],
    cells: list[tuple[str | Text, ...]],
    last: str,
    last_cells: list[str],
    *,
    right: tuple[str, ...] = (),
) -> Table:
    """A table whose rows never wrap: every column as wide as its widest cell, and the last column
    (an error, a reason) gets what is left of the console's width, cut with "…"."""
    widths = [max([len(n), *(len(str(c[i])) for c in cells)]) for i, n in enumerate(names)]
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name, width in zip(names, widths, strict=True):
        table.add_column(name, no_wrap=True, min_width=width, justify="right" if name in right else "left")
    room = max(out.width - sum(widths) - 3 * len(names) - 3, 8)  # padding and divider per column, the edges
    table.add_column(last, no_wrap=True, max_width=room)
    for row, text in zip(cells, last_cells, strict=True):
        line = " ".join(text.split())
        table.add_row(*row, line if len(line) <= room else line[: room - 1] + "…")
    return table
