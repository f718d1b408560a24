"""`controlroom spec validate | publish | diff`: the GitOps gate and the way specs reach the control plane."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from controlroom.cli.common import connect, err, fail, handles_errors, out, print_json
from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import Conflict
from controlroom.client.models import Workspace
from controlroom.specs.canonical import canonical_body
from controlroom.specs.load import discover, load_spec, validate_paths
from controlroom.specs.models import PipelineSpec
from controlroom.specs.problems import Problem, SpecError

DEFAULT_PATHS = [Path("specs")]

spec_app = typer.Typer(
    name="spec",
    help="Validate pipeline specs, publish them to the control plane, compare with what is published.",
    no_args_is_help=True,
)


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        typer.echo(str(problem))


def _gate(paths: list[Path]) -> list[Path]:
    """The spec files under `paths` once every one validates; otherwise print the problems and exit 1."""
    problems = validate_paths(paths)
    files, _ = discover(paths)
    if problems:
        _print_problems(problems)
        bad = len({p.file for p in problems})
        fail(f"{len(problems)} problem(s) in {bad} of {len(files)} spec file(s)")
    return files


def _pretty(body: Any) -> list[str]:
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


@spec_app.command("validate")
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Spec files or folders (default: specs).")] = None,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    import_check: bool = typer.Option(
        True,
        "--import-check/--no-import-check",
        help="Import each python phase's entry point in a subprocess (never calling it) to catch a "
        "module or function that does not exist.",
    ),
) -> None:
    """Check that every spec loads and validates: each problem as `file: path: message`; exit 1 on any.

    Beyond the model: a sql phase's query must be one statement over its declared inputs, and a
    python phase's entry point must import (checked in a subprocess with a timeout)."""
    paths = paths or DEFAULT_PATHS
    problems = validate_paths(paths, imports=import_check)
    files, _ = discover(paths)
    if as_json:
        print_json({"files": [str(f) for f in files], "problems": [p.__dict__ for p in problems]})
    else:
        _print_problems(problems)
        if problems:
            bad = len({p.file for p in problems})
            err.print(f"{len(problems)} problem(s) in {bad} of {len(files)} spec file(s)", style="red")
        else:
            err.print(f"{len(files)} spec file(s) OK", style="green")
    if problems:
        raise typer.Exit(1)


@spec_app.command("publish")
@handles_errors()
def publish(
    paths: Annotated[list[Path] | None, typer.Argument(help="Spec files or folders (default: specs).")] = None,
    create_workspace: bool = typer.Option(
        False, "--create-workspace", help="Create a spec's workspace when it does not exist yet."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Publish each spec version (all must validate first). The same body again is a no-op; a changed
    body under a published version is refused: bump `version`."""
    files = _gate(paths or DEFAULT_PATHS)
    plane = connect()
    results: list[dict[str, Any]] = []
    workspaces: dict[str, Workspace] = {}
    try:
        for file in files:
            results.append(_publish_one(plane, file, workspaces, create_workspace=create_workspace, quiet=as_json))
    finally:
        plane.close()
    if as_json:
        print_json(results)
    if any(r["outcome"] == "refused" for r in results):
        raise typer.Exit(1)


def _publish_one(
    plane: ControlPlane, file: Path, workspaces: dict[str, Workspace], *, create_workspace: bool, quiet: bool
) -> dict[str, Any]:
    spec = load_spec(file)  # the gate loaded it already
    label = f"{spec.name}@{spec.version}"
    result: dict[str, Any] = {"file": str(file), "workspace": spec.workspace, "name": spec.name}
    result["version"] = str(spec.version)

    def refused(message: str) -> dict[str, Any]:
        if not quiet:
            err.print(Text.assemble(("error: ", "bold red"), f"{file}: {message}"), soft_wrap=True)
        return {**result, "outcome": "refused", "message": message}

    ws = workspaces.get(spec.workspace) or plane.workspace_by_slug(spec.workspace)
    if ws is None and not create_workspace:
        return refused(
            f"workspace {spec.workspace} does not exist (or you are not a member of it); "
            "create it with `controlroom spec publish --create-workspace`, or fix `workspace`"
        )
    if ws is None:
        ws = plane.create_workspace(spec.workspace)
        if not quiet:
            out.print(f"created workspace {ws.slug}")
    workspaces[spec.workspace] = ws
    body = canonical_body(spec)
    existing = plane.published_specs(ws.id, spec.name, str(spec.version))
    try:
        published = plane.publish_spec(ws.id, spec.name, str(spec.version), body)
    except Conflict as exc:
        if existing and existing[0].body != body:
            return refused(f"{label} is already published with different content; bump `version`")
        return refused(str(exc))
    outcome = "unchanged" if existing else "published"
    if not quiet:
        suffix = "" if existing else f" {published.spec_hash[:12]}"
        out.print(f"{outcome} {label}{suffix}  [dim]({ws.slug})[/]")
    return {**result, "outcome": outcome, "spec_hash": published.spec_hash, "spec_id": str(published.id)}


@spec_app.command("diff")
@handles_errors(exit_code=2)
def diff(
    path: Annotated[Path, typer.Argument(help="A spec file.")],
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Compare a spec file with the published body of the same workspace, name and version.
    Exit 0 when identical, 1 when different or not published yet, 2 on trouble (like diff)."""
    try:
        spec = load_spec(path)
    except SpecError as exc:
        _print_problems(exc.problems)
        fail(f"{path} does not validate; nothing to compare", code=2)
    local = canonical_body(spec)
    plane = connect()
    try:
        published = _published_body(plane, spec)
    finally:
        plane.close()
    label = f"{spec.name}@{spec.version}"
    if published is None:
        if as_json:
            print_json({"file": str(path), "spec": label, "published": False, "identical": False, "diff": []})
        else:
            out.print(f"{label} is not published yet in workspace {spec.workspace}")
        raise typer.Exit(1)
    body, digest = published
    lines = list(
        difflib.unified_diff(
            _pretty(body), _pretty(local), fromfile=f"published {label} ({digest[:12]})", tofile=str(path), lineterm=""
        )
    )
    if as_json:
        print_json({"file": str(path), "spec": label, "published": True, "identical": not lines, "diff": lines})
    elif not lines:
        out.print(f"{label}: {path} is identical to the published version ({digest[:12]})")
    else:
        for line in lines:
            style = "bold" if line.startswith(("---", "+++")) else ""
            style = style or {"+": "green", "-": "red", "@": "cyan"}.get(line[:1], "")
            out.print(Text(line, style=style), soft_wrap=True)
    if lines:
        raise typer.Exit(1)


def _published_body(plane: ControlPlane, spec: PipelineSpec) -> tuple[dict[str, Any], str] | None:
    ws = plane.workspace_by_slug(spec.workspace)
    if ws is None:
        return None
    found = plane.published_specs(ws.id, spec.name, str(spec.version))
    return (found[0].body, found[0].spec_hash) if found else None


def register(app: typer.Typer) -> None:
    app.add_typer(spec_app)
