"""`controlroom alerts [--open] | alerts show|ack|resolve ID` and `controlroom silence add|list|expire`:
what is paging whom, and the operator's hands on it. RLS decides what the caller sees and may change
(members see, operators acknowledge and resolve, admins silence), as for runs.

Alert ids: the full uuid, or the 8-character short form the table shows, resolved by prefix among
the newest alerts the caller can see (as run ids are).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.text import Text

from controlroom.cli import common
from controlroom.cli.common import err, fail, handles_errors, out, print_json
from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import NotFound

RECENT_ALERTS_SCANNED = 1000
ALERT_STATUS_STYLES = {"open": "bold red", "acknowledged": "yellow", "resolved": "green"}
SEVERITY_STYLES = {"critical": "red", "warning": "yellow", "info": "dim"}
DELIVERY_STYLES = {"sent": "green", "pending": "cyan", "leased": "blue", "failed": "yellow", "dead": "bold red"}
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MATCHER_KEYS = ("signal_type", "severity", "spec", "pool", "executor_id", "run_id")

alerts_app = typer.Typer(
    name="alerts",
    help="Alerts: list them (default), show one, acknowledge or resolve it.",
    invoke_without_command=True,
    no_args_is_help=False,
)
silence_app = typer.Typer(name="silence", help="Silences: mute matching alerts' notifications until they end.")


# -- lookups ---------------------------------------------------------------------------------------


def _workspace_names(plane: ControlPlane) -> dict[str, str]:
    return {str(w["id"]): w["slug"] for w in plane.select("workspaces", columns="id,slug")}


def resolve_alert_id(plane: ControlPlane, text: str) -> UUID:
    wanted = text.strip().lower()
    try:
        return UUID(wanted)
    except ValueError:
        pass
    if not re.fullmatch(r"[0-9a-f-]+", wanted) or len(wanted.replace("-", "")) < common.SHORT_ID:
        fail(
            f"{text!r} is not an alert id", hint="Give the full id or its first 8 characters, as `controlroom alerts`."
        )
    rows = plane.select("alerts", columns="id", order="opened_at", desc=True, limit=RECENT_ALERTS_SCANNED)
    matches = [row["id"] for row in rows if str(row["id"]).startswith(wanted)]
    if not matches:
        raise NotFound(
            f"alert {text} not found",
            code="PT404",
            hint=f"A short id is looked up among the {RECENT_ALERTS_SCANNED} newest alerts you can see; "
            "give the full id.",
        )
    if len(matches) > 1:
        fail(f"alert id {text} is ambiguous: it starts {len(matches)} alerts", hint="Give more characters.")
    return UUID(str(matches[0]))


def _alert(plane: ControlPlane, alert_id: UUID) -> dict[str, Any]:
    rows = plane.select("alerts", filters={"id": f"eq.{alert_id}"}, limit=1)
    if not rows:
        raise NotFound(f"alert {alert_id} not found", code="PT404", hint="Alerts of other workspaces are not visible.")
    return rows[0]


def _when(value: str | None) -> str:
    """Local time; the date only when it is not today."""
    today = common.local_day(datetime.now(UTC))
    return common.local_time(datetime.fromisoformat(value), day=today) if value else ""


def _what(alert: dict[str, Any]) -> str:
    subject = alert.get("subject") or {}
    where = subject.get("spec") or subject.get("pool") or ""
    return f"{alert['signal_type']} {where}".strip() + f"  ({alert['route_name']})"


# -- alerts ----------------------------------------------------------------------------------------


@alerts_app.callback()
@handles_errors()
def list_alerts(
    ctx: typer.Context,
    only_open: bool = typer.Option(False, "--open", help="Only alerts not resolved (open or acknowledged)."),
    workspace: str | None = typer.Option(None, "--workspace", "-w", help="Only this workspace (slug)."),
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Alerts, newest first: status, severity, tier reached, signals, and what they are about."""
    if ctx.invoked_subcommand is not None:
        return
    plane = common.connect()
    try:
        filters: dict[str, str] = {}
        if only_open:
            filters["status"] = "neq.resolved"
        if workspace is not None:
            filters["workspace_id"] = f"eq.{common.workspace(plane, workspace).id}"
        rows = plane.select("alerts", filters=filters, order="opened_at", desc=True, limit=limit)
        slugs = _workspace_names(plane) if rows else {}
    finally:
        plane.close()
    if as_json:
        print_json([{**row, "workspace": slugs.get(str(row["workspace_id"]))} for row in rows])
        return
    cells: list[tuple[str | Text, ...]] = []
    for row in rows:
        cells.append(
            (
                common.short(row["id"]),
                Text(row["status"], style=ALERT_STATUS_STYLES.get(row["status"], "")),
                Text(row["severity"], style=SEVERITY_STYLES.get(row["severity"], "")),
                str(row["tier"]),
                str(row["signal_count"]),
                _when(row["opened_at"]),
            )
        )
    names = ("alert", "status", "severity", "tier", "signals", "opened")
    title = "alerts" + (" (open)" if only_open else "") + (f" · {workspace}" if workspace else "")
    out.print(common.one_line_table(title, names, cells, "what", [_what(r) for r in rows], right=("tier", "signals")))
    if not rows:
        err.print("no alerts" + (" open" if only_open else ""))


@alerts_app.command("show")
@handles_errors()
def show(
    alert_arg: str = typer.Argument(..., metavar="ID", help="Alert id (full, or the 8-character short form)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """One alert: its state and audit trail, the signals behind it, the tiers reached, and every
    delivery with its attempts (status code, latency, error)."""
    plane = common.connect()
    try:
        alert_id = resolve_alert_id(plane, alert_arg)
        alert = _alert(plane, alert_id)
        changes = plane.select("alert_changes", filters={"alert_id": f"eq.{alert_id}"}, order="id")
        signal_ids = [str(c["signal_id"]) for c in changes if c.get("signal_id") is not None]
        signals = (
            plane.select("alert_signals", filters={"id": f"in.({','.join(signal_ids)})"}, order="raised_at")
            if signal_ids
            else []
        )
        group, members = _group(plane, alert.get("group_id"))
        deliveries = _deliveries_carrying(plane, alert_id, alert.get("group_id"))
        delivery_ids = [str(d["id"]) for d in deliveries]
        attempts = (
            plane.select(
                "alert_delivery_attempts", filters={"delivery_id": f"in.({','.join(delivery_ids)})"}, order="id"
            )
            if delivery_ids
            else []
        )
    finally:
        plane.close()
    for delivery in deliveries:
        delivery["attempt_log"] = [a for a in attempts if a["delivery_id"] == delivery["id"]]
    tiers = [c for c in changes if c["change"] in ("escalated", "repeated")]
    if as_json:
        print_json(
            {
                "alert": alert,
                "group": group,
                "group_alerts": members,
                "changes": changes,
                "signals": signals,
                "tiers": tiers,
                "deliveries": deliveries,
            }
        )
        return
    _print_alert(alert, changes, signals, deliveries)
    if group is not None:
        _print_group(group, members, alert_id)


GROUP_ALERTS_SHOWN = 50


def _group(plane: ControlPlane, group_id: str | None) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The alert's notification group and its alerts (newest first, at most GROUP_ALERTS_SHOWN)."""
    if not group_id:
        return None, []
    rows = plane.select("alert_groups", filters={"id": f"eq.{group_id}"}, limit=1)
    members = plane.select(
        "alerts",
        columns="id,status,severity,signal_type,fingerprint,tier,opened_at,notified_as",
        filters={"group_id": f"eq.{group_id}"},
        order="opened_at",
        desc=True,
        limit=GROUP_ALERTS_SHOWN,
    )
    return (rows[0] if rows else None), members


def _deliveries_carrying(plane: ControlPlane, alert_id: UUID, group_id: str | None) -> list[dict[str, Any]]:
    """The notifications that carried the alert: its group's deliveries that list it, and those made
    for it alone before notifications were grouped."""
    own = plane.select("alert_deliveries", filters={"alert_id": f"eq.{alert_id}"}, order="created_at")
    grouped = (
        plane.select("alert_deliveries", filters={"group_id": f"eq.{group_id}"}, order="created_at") if group_id else []
    )
    seen: dict[str, dict[str, Any]] = {str(d["id"]): d for d in own}
    for d in grouped:
        listed = {str(a.get("alert_id")) for a in (d.get("payload") or {}).get("alerts") or []}
        if str(alert_id) in listed:
            seen[str(d["id"])] = d
    return sorted(seen.values(), key=lambda d: (d["created_at"], d["target_name"]))


def _print_group(group: dict[str, Any], members: list[dict[str, Any]], alert_id: UUID) -> None:
    labels = ", ".join(f"{k}={v}" for k, v in (group.get("group_labels") or {}).items()) or "no group_by"
    due = _when(group.get("due_at")) or "nothing pending"
    out.print(
        f"  group      {common.short(str(group['id']))}  {group['group_key']}  ({labels})"
        f"  tier {group['tier']}  next look {due}"
    )
    live = [m for m in members if m["status"] != "resolved"]
    out.print(
        f"             {len(live)} unresolved alert(s) of {len(members)} shown; one notification carries them all"
    )
    rows = [
        (
            common.short(str(m["id"])) + (" *" if str(m["id"]) == str(alert_id) else ""),
            Text(m["status"], style=ALERT_STATUS_STYLES.get(m["status"], "")),
            m["severity"],
            str(m["tier"]),
        )
        for m in members
    ]
    out.print(
        common.one_line_table(
            "alerts of the group",
            ("alert", "status", "severity", "tier"),
            list(rows),
            "fingerprint",
            [m["fingerprint"] for m in members],
        )
    )


def _print_alert(
    alert: dict[str, Any],
    changes: list[dict[str, Any]],
    signals: list[dict[str, Any]],
    deliveries: list[dict[str, Any]],
) -> None:
    status = Text(alert["status"], style=ALERT_STATUS_STYLES.get(alert["status"], ""))
    out.print(Text.assemble(("alert ", "bold"), (str(alert["id"]), "bold"), "  ", status))
    out.print(f"  route      {alert['route_name']}  (group {alert['group_key']})")
    out.print(f"  signal     {alert['signal_type']}  severity {alert['severity']}  score {alert['score']:.2f}")
    subject = alert.get("subject") or {}
    if subject:
        out.print("  subject    " + "  ".join(f"{k} {v}" for k, v in subject.items() if k != "signal_id"))
    out.print(f"  tier       {alert['tier']}  (next escalation {_when(alert.get('next_escalation_at')) or '-'})")
    out.print(f"  opened     {_when(alert['opened_at'])}  signals {alert['signal_count']}")
    if alert.get("acknowledged_at"):
        out.print(f"  acked      {_when(alert['acknowledged_at'])} by {alert['acknowledged_by']}")
    if alert.get("resolved_at"):
        out.print(f"  resolved   {_when(alert['resolved_at'])} by {alert['resolved_by']}")
    day = common.local_day(datetime.now(UTC))
    if changes:
        rows = [
            (_clock(c["at"], day), c["change"], str(c.get("tier") or ""), c["actor"])
            for c in changes
            if c["change"] != "signal"
        ]
        notes = [c.get("note") or "" for c in changes if c["change"] != "signal"]
        out.print(common.one_line_table("changes", ("at", "change", "tier", "actor"), list(rows), "note", notes))
    if signals:
        rows2 = [(_clock(s["raised_at"], day), s["signal_type"], s["severity"]) for s in signals]
        about = [_signal_subject(s) for s in signals]
        out.print(common.one_line_table("signals", ("at", "type", "severity"), list(rows2), "subject", about))
    if deliveries:
        cells: list[tuple[str | Text, ...]] = []
        errors: list[str] = []
        for d in deliveries:
            for a in d["attempt_log"] or [None]:
                cells.append(
                    (
                        f"{d['tier']}",
                        d["change"],
                        str(len((d.get("payload") or {}).get("alerts") or []) or 1),
                        d["target_name"],
                        Text(d["status"], style=DELIVERY_STYLES.get(d["status"], "")),
                        str(a["attempt"]) if a else "-",
                        _clock(a["at"], day) if a else "",
                        str(a.get("status_code") or "") if a else "",
                        f"{a['latency_ms']}ms" if a and a.get("latency_ms") is not None else "",
                    )
                )
                errors.append((a.get("error") or a["outcome"]) if a else "not attempted yet")
        names = ("tier", "change", "alerts", "target", "delivery", "try", "at", "http", "took")
        out.print(common.one_line_table("deliveries", names, cells, "result", errors, right=("alerts", "try", "took")))


def _clock(value: str, day: Any) -> str:
    return common.local_time(datetime.fromisoformat(value), day=day)


def _signal_subject(signal: dict[str, Any]) -> str:
    parts = [
        f"spec {signal['spec_name']}" if signal.get("spec_name") else "",
        f"run {common.short(signal['run_id'])}" if signal.get("run_id") else "",
        f"pool {signal['pool']}" if signal.get("pool") else "",
        f"executor {common.short(signal['executor_id'])}" if signal.get("executor_id") else "",
    ]
    return " ".join(p for p in parts if p)


def _change(verb: str, alert_arg: str, note: str | None, as_json: bool) -> None:
    plane = common.connect()
    try:
        alert_id = resolve_alert_id(plane, alert_arg)
        reply = (
            plane.acknowledge_alert(alert_id, note) if verb == "acknowledge" else plane.resolve_alert(alert_id, note)
        )
    finally:
        plane.close()
    if as_json:
        print_json(reply)
        return
    outcome = reply.get("outcome", "")
    if outcome == "duplicate":
        out.print(f"alert {common.short(alert_id)} was already {verb}d; nothing changed")
    else:
        out.print(
            f"{outcome} alert {common.short(alert_id)}" + (": escalation stopped" if verb == "acknowledge" else "")
        )


@alerts_app.command("ack")
@handles_errors()
def ack(
    alert_arg: str = typer.Argument(..., metavar="ID", help="Alert id (full, or the 8-character short form)."),
    note: str | None = typer.Option(None, "--note", "-m", help="Why, or a ticket link (kept in the audit trail)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Acknowledge an open alert: somebody is on it, so no further tier is paged."""
    _change("acknowledge", alert_arg, note, as_json)


@alerts_app.command("resolve")
@handles_errors()
def resolve(
    alert_arg: str = typer.Argument(..., metavar="ID", help="Alert id (full, or the 8-character short form)."),
    note: str | None = typer.Option(None, "--note", "-m", help="What fixed it (kept in the audit trail)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Resolve an alert by hand (a recovery signal resolves it by itself)."""
    _change("resolve", alert_arg, note, as_json)


# -- silences --------------------------------------------------------------------------------------


def parse_matchers(items: list[str]) -> dict[str, Any]:
    """`key=glob` (repeat a key for any-of) and `label.NAME=glob` into a matcher object."""
    matchers: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value:
            fail(
                f"matcher {item!r} is not key=value", hint="e.g. --match spec=flights-* --match signal_type=run_failed"
            )
        if key.startswith("label."):
            labels[key.removeprefix("label.")] = value
        elif key in MATCHER_KEYS:
            previous = matchers.get(key)
            if previous is None:
                matchers[key] = value
            else:
                matchers[key] = [*(previous if isinstance(previous, list) else [previous]), value]
        else:
            fail(f"unknown matcher {key!r}", hint=f"use {', '.join(MATCHER_KEYS)} or label.NAME")
    if labels:
        matchers["labels"] = labels
    return matchers


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        fail(f"{text!r} is not a duration", hint="e.g. 30m, 2h, 1d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


@silence_app.command("add")
@handles_errors()
def silence_add(
    match: Annotated[
        list[str], typer.Option("--match", "-m", help="key=glob (signal_type, severity, spec, pool, …); repeat.")
    ],
    workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug."),
    duration: str = typer.Option("2h", "--for", help="How long: 30m, 2h, 1d (at most 366d)."),
    comment: str = typer.Option(..., "--comment", "-c", help="Why (a ticket, a maintenance window)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Mute the notifications of matching alerts until the silence ends (they still open and count)."""
    matchers = parse_matchers(match)
    ends_at = datetime.now(UTC) + parse_duration(duration)
    plane = common.connect()
    try:
        ws = common.workspace(plane, workspace)
        reply = plane.add_silence(ws.id, matchers, ends_at, comment)
    finally:
        plane.close()
    if as_json:
        print_json(reply)
        return
    out.print(f"silence {reply['silence_id']} until {_when(reply['ends_at'])}")


@silence_app.command("list")
@handles_errors()
def silence_list(
    workspace: str | None = typer.Option(None, "--workspace", "-w", help="Only this workspace (slug)."),
    show_all: bool = typer.Option(False, "--all", help="Ended and expired silences too."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Silences: active ones by default."""
    plane = common.connect()
    try:
        filters: dict[str, str] = {}
        if workspace is not None:
            filters["workspace_id"] = f"eq.{common.workspace(plane, workspace).id}"
        if not show_all:
            filters["ends_at"] = f"gt.{datetime.now(UTC).isoformat()}"
            filters["expired_at"] = "is.null"
        rows = plane.select("alert_silences", filters=filters, order="ends_at", limit=1000)
        slugs = _workspace_names(plane) if rows else {}
    finally:
        plane.close()
    if as_json:
        print_json([{**row, "workspace": slugs.get(str(row["workspace_id"]))} for row in rows])
        return
    cells: list[tuple[str | Text, ...]] = [
        (
            common.short(r["id"]),
            slugs.get(str(r["workspace_id"]), "")[:16],
            "expired" if r.get("expired_at") else _when(r["ends_at"]),
            " ".join(f"{k}={v}" for k, v in r["matchers"].items())[:30],
        )
        for r in rows
    ]
    out.print(
        common.one_line_table(
            "silences", ("silence", "workspace", "until", "matchers"), cells, "comment", [r["comment"] for r in rows]
        )
    )
    if not rows:
        err.print("no active silences" if not show_all else "no silences")


@silence_app.command("expire")
@handles_errors()
def silence_expire(
    silence_id: str = typer.Argument(..., metavar="ID", help="Silence id (full, as `silence list --json` shows)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """End a silence now."""
    plane = common.connect()
    try:
        full = _silence_id(plane, silence_id)
        reply = plane.expire_silence(full)
    finally:
        plane.close()
    if as_json:
        print_json(reply)
        return
    out.print(f"{reply.get('outcome', 'expired')} silence {full}")


def _silence_id(plane: ControlPlane, text: str) -> UUID:
    try:
        return UUID(text.strip())
    except ValueError:
        pass
    rows = plane.select("alert_silences", columns="id", order="created_at", desc=True, limit=1000)
    matches = [r["id"] for r in rows if str(r["id"]).startswith(text.strip().lower())]
    if len(matches) != 1 or len(text.strip()) < common.SHORT_ID:
        fail(f"silence {text} is not a unique id", hint="Give the full id (`controlroom silence list --json`).")
    return UUID(str(matches[0]))


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app)
    app.add_typer(silence_app)
