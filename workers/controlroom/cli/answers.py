"""The on-call answers the CLI and the page share, computed from the read models (run_board,
executor_health, queue_depth_by_pool, run_attempts, run_events): pure functions, no I/O.

Why a queued run waits is not computed here: the control plane answers it (explain_wait).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

RUN_STATUSES = ("queued", "claimed", "running", "succeeded", "failed", "cancelled", "timed_out")
TERMINAL_STATUSES = ("succeeded", "failed", "cancelled", "timed_out")
LIVE_HEALTH = ("healthy",)


def check_statuses(raw: list[str]) -> list[str]:
    """`--status failed,queued --status running` → the statuses; ValueError names the bad one and a guess."""
    wanted = [part.strip() for item in raw for part in item.split(",") if part.strip()]
    for status in wanted:
        if status not in RUN_STATUSES:
            guess = difflib.get_close_matches(status, RUN_STATUSES, n=1)
            did_you_mean = f"did you mean '{guess[0]}'? " if guess else ""
            raise ValueError(f"unknown status '{status}': {did_you_mean}valid: {', '.join(RUN_STATUSES)}")
    return list(dict.fromkeys(wanted))


def one_line(text: str | None) -> str:
    """Whitespace (newlines included) collapsed, so a table cell stays one line."""
    return " ".join((text or "").split())


def labels_missing(required: dict[str, Any], offered: dict[str, Any]) -> dict[str, Any]:
    """The required labels an executor does not offer (jsonb containment, key by key)."""
    return {k: v for k, v in required.items() if offered.get(k) != v}


def phases_from_events(events: Iterable[Any]) -> list[dict[str, Any]]:
    """One entry per phase of the latest attempt that reported one: its `phase.finished` payload
    (status, exit code, duration, cap breach) plus the stderr tail of its `phase.log` event."""
    latest_attempt = None
    for e in events:
        if e.type in ("phase.finished", "phase.started") and e.attempt_id is not None:
            latest_attempt = e.attempt_id
    phases: dict[str, dict[str, Any]] = {}
    for e in events:
        if e.attempt_id != latest_attempt or not e.phase:
            continue
        entry = phases.setdefault(e.phase, {"phase": e.phase, "status": "running", "stderr_tail": []})
        if e.type == "phase.started":
            entry["started_at"] = e.ts
        elif e.type == "phase.finished":
            entry.update({k: v for k, v in e.payload.items() if k not in ("phase",)})
        elif e.type == "phase.log" and e.payload.get("stream") == "stderr":
            entry["stderr_tail"] = list(e.payload.get("tail") or [])
    return list(phases.values())


def cap_text(breach: dict[str, Any] | None) -> str:
    """`memory 210.0 MiB > 200 MiB`, not `2.09715e+08`."""
    if not breach:
        return ""
    unit = breach.get("unit")
    return f"{breach.get('cap')} {_amount(breach.get('measured'), unit)} > {_amount(breach.get('limit'), unit)}"


def _amount(value: Any, unit: Any) -> str:
    if not isinstance(value, int | float):
        return str(value)
    if unit == "bytes":
        number = float(value)
        for name in ("B", "KiB", "MiB", "GiB"):
            if number < 1024 or name == "GiB":
                return f"{number:.0f} {name}" if number == int(number) else f"{number:.1f} {name}"
            number /= 1024
    if unit in ("seconds", "cpu_seconds"):
        return f"{value:g}s"
    return f"{value:g} {unit or ''}".strip()


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
