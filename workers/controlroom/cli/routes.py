"""`controlroom routes validate | publish | test`: the routing matrix in Git (specs/routing/), checked
like pipeline specs, published as immutable versions, and asked "who would be paged if…?" (like
`amtool config routes test`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.text import Text

from controlroom.cli import common
from controlroom.cli.common import err, fail, handles_errors, out, print_json
from controlroom.client.control_plane import ControlPlane
from controlroom.routing.load import (
    DEFAULT_ROUTING_DIR,
    discover_routing,
    load_routing,
    publish_body,
    validate_routing_paths,
)
from controlroom.routing.models import SEVERITIES
from controlroom.specs.problems import Problem, SpecError

routes_app = typer.Typer(
    name="routes",
    help="Routing documents: validate them, publish them, test which route a signal reaches.",
    no_args_is_help=True,
)


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        typer.echo(str(problem))


def _gate(paths: list[Path]) -> list[Path]:
    problems = validate_routing_paths(paths)
    files, _ = discover_routing(paths)
    if problems:
        _print_problems(problems)
        bad = len({p.file for p in problems})
        fail(f"{len(problems)} problem(s) in {bad} of {len(files)} routing file(s)")
    return files


@routes_app.command("validate")
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Routing files or folders (default: specs/routing).")
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Check every routing file: each problem as `file: field: message (line N)`; exit 1 on any."""
    paths = paths or [DEFAULT_ROUTING_DIR]
    problems = validate_routing_paths(paths)
    files, _ = discover_routing(paths)
    if as_json:
        print_json({"files": [str(f) for f in files], "problems": [p.__dict__ for p in problems]})
    else:
        _print_problems(problems)
        if problems:
            bad = len({p.file for p in problems})
            err.print(f"{len(problems)} problem(s) in {bad} of {len(files)} routing file(s)", style="red")
        else:
            err.print(f"{len(files)} routing file(s) OK", style="green")
    if problems:
        raise typer.Exit(1)


@routes_app.command("publish")
@handles_errors()
def publish(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Routing files or folders (default: specs/routing).")
    ] = None,
    workspace: str | None = typer.Option(
        None, "--workspace", "-w", help="Publish to this workspace instead of the file's `workspace`."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Publish each routing file (all must validate first) as its workspace's next version; the same
    content as the current version is a no-op."""
    files = _gate(paths or [DEFAULT_ROUTING_DIR])
    if workspace is not None and len(files) != 1:
        fail("--workspace goes with exactly one routing file", hint="Name the file to publish.", as_json=as_json)
    plane = common.connect()
    results: list[dict[str, Any]] = []
    try:
        for file in files:
            routing = load_routing(file)
            slug = workspace or routing.workspace
            ws = common.workspace(plane, slug)
            reply = plane.publish_routes(ws.id, publish_body(routing))
            results.append({"file": str(file), "workspace": slug, **reply})
            if not as_json:
                out.print(
                    f"{reply['outcome']} routes v{reply['version']} {reply['routes_hash'][:12]}  [dim]({slug})[/]"
                )
    finally:
        plane.close()
    if as_json:
        print_json(results)


@routes_app.command("test")
@handles_errors(exit_code=2)
def try_signal(
    signal: str = typer.Option(..., "--signal", help="Signal type, e.g. run_failed."),
    workspace: str | None = typer.Option(
        None, "--workspace", "-w", help="Workspace slug (default: the --file's workspace)."
    ),
    spec: str | None = typer.Option(None, "--spec", help="Spec name of the signal's subject."),
    pool: str | None = typer.Option(None, "--pool", help="Pool of the signal's subject."),
    severity: str = typer.Option("critical", "--severity", help=f"One of {', '.join(SEVERITIES)}."),
    label: Annotated[list[str] | None, typer.Option("--label", help="KEY=VALUE, repeatable.")] = None,
    fingerprint: str | None = typer.Option(None, "--fingerprint", help="To see an existing alert's tier."),
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Test this (unpublished) routing file instead.")
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Which routes a signal would reach, in order (with `continue`), its group, the tier it would
    page next and that tier's targets, and any silence or inhibition holding it back.
    Exit 0 when a route matches, 1 when none does, 2 on trouble."""
    body: dict[str, Any] | None = None
    if file is not None:
        try:
            routing = load_routing(file)
        except SpecError as exc:
            _print_problems(exc.problems)
            fail(f"{file} does not validate; nothing to test", code=2, as_json=as_json)
        body = publish_body(routing)
        workspace = workspace or routing.workspace
    if workspace is None:
        fail("say which workspace: --workspace SLUG (or --file)", code=2, as_json=as_json)
    labels: dict[str, str] = {}
    for item in label or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"label {item!r} is not KEY=VALUE", code=2, as_json=as_json)
        labels[key] = value
    sent: dict[str, Any] = {"signal_type": signal, "severity": severity, "spec": spec, "pool": pool}
    sent |= {"labels": labels} if labels else {}
    sent |= {"fingerprint": fingerprint} if fingerprint else {}
    plane = common.connect()
    try:
        ws = common.workspace(plane, workspace)
        reply = plane.test_routes(ws.id, {k: v for k, v in sent.items() if v is not None}, body)
        for route in reply.get("routes") or []:
            route["group"] = _group_joined(plane, ws.id, route["name"], route["group_key"])
    finally:
        plane.close()
    if as_json:
        print_json(reply)
    else:
        _print_test(reply, workspace)
    if not reply.get("matched"):
        raise typer.Exit(1)


# A route's groups read to find the one a signal joins (a group_by on run_id makes many).
MAX_GROUPS_LOOKED_AT = 1000


def _group_joined(plane: ControlPlane, workspace_id: UUID, route: str, group_key: str) -> dict[str, Any] | None:
    """The notification group a signal on this route would join (None: a new group would form), with
    how many of its alerts are unresolved. The key is matched here: it holds quotes and commas."""
    groups = plane.select(
        "alert_groups",
        filters={"workspace_id": f"eq.{workspace_id}", "route_name": f"eq.{route}"},
        limit=MAX_GROUPS_LOOKED_AT,
    )
    group = next((g for g in groups if g["group_key"] == group_key), None)
    if group is None:
        return None
    live = plane.count("alerts", filters={"group_id": f"eq.{group['id']}", "status": "neq.resolved"})
    return group | {"unresolved_alerts": live}


def _print_test(reply: dict[str, Any], workspace: str) -> None:
    source = reply.get("source")
    where = f"published v{reply.get('version')}" if source == "published" else "the given file"
    if source == "none":
        out.print(f"workspace {workspace} has no published routes: nobody would be paged")
        return
    out.print(f"routes of {workspace} ({where}):")
    if not reply.get("routes"):
        out.print(Text("  no route matches: nobody would be paged", style="bold red"))
        return
    for route in reply["routes"]:
        targets = ", ".join(f"{t['name']} ({t['kind']})" for t in route.get("targets", []))
        held = ""
        if route.get("silenced_by"):
            held = f"  [yellow]silenced by {common.short(str(route['silenced_by']))}[/]"
        elif route.get("inhibited_by"):
            held = f"  [yellow]inhibited by alert {common.short(str(route['inhibited_by']))}[/]"
        cont = " → continue" if route.get("continue") else ""
        out.print(f"  {route['order']}. [bold]{route['name']}[/]{cont}{held}")
        out.print(f"     group {route['group_key']}  (wait {route.get('group_wait_seconds', 0)}s)")
        group = route.get("group")
        if group is None:
            out.print("     a new group: its first notification waits group_wait and carries every alert that joins")
        elif group["unresolved_alerts"] == 0:
            out.print(f"     group {common.short(str(group['id']))} is idle: it starts over (group_wait, tier 1)")
        else:
            out.print(
                f"     joins group {common.short(str(group['id']))}: {group['unresolved_alerts']} unresolved alert(s),"
                f" tier {group['tier']}; sent with the group's next notification (at most once per group_interval)"
            )
        existing = route.get("existing_alert")
        now = f"alert {common.short(str(existing))} {route.get('existing_status')}, " if existing else ""
        out.print(f"     {now}tier {route['next_tier']} next → {targets}")


def register(app: typer.Typer) -> None:
    app.add_typer(routes_app)
