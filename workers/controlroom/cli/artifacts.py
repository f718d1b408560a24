"""`controlroom artifacts RUN` and `controlroom artifacts verify [RUN] [--all]`: what runs wrote to the data
plane, and whether it is still there, byte for byte."""

from __future__ import annotations

import os
from typing import Any

import typer
from botocore.exceptions import BotoCoreError
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from controlroom.artifacts import ArtifactError, ArtifactKey, ArtifactRecord, ArtifactStore, Lineage, s3_client
from controlroom.cli import common
from controlroom.cli.common import err, fail, handles_errors, out, print_json
from controlroom.cli.progress import Tally
from controlroom.client.control_plane import ControlPlane
from controlroom.client.models import Artifact, ArtifactExpiry

VERDICT_STYLES = {
    "ok": "green",
    "expired": "dim",
    "mismatch": "bold red",
    "missing": "bold red",
    "error": "bold red",
}


class _ListByDefault(TyperGroup):
    """`artifacts RUN` means `artifacts list RUN`; `artifacts verify …` stays a subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a Context of typer's own click
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["list", *args]
        return super().parse_args(ctx, args)


artifacts_app = typer.Typer(
    name="artifacts",
    cls=_ListByDefault,
    help="Artifacts of a run (`artifacts RUN`), and their verification against S3 (`artifacts verify`).",
    no_args_is_help=True,
)


def record_from_row(row: Artifact) -> ArtifactRecord:
    """The ArtifactRecord that ArtifactStore.verify checks, rebuilt from a row of public.artifacts.

    The uri is s3://<bucket>/<workspace_id>/<run_id>/<attempt_no>/<phase>/<name> (the control plane
    enforces the layout); it must agree with the row's own columns. ValueError otherwise.
    """
    if not row.uri.startswith("s3://"):
        raise ValueError(f"uri {row.uri} is not an s3:// uri")
    bucket, _, object_key = row.uri.removeprefix("s3://").partition("/")
    parts = object_key.split("/", 4)
    if len(parts) != 5 or not parts[2].isdigit():
        raise ValueError(f"uri {row.uri} does not follow <workspace>/<run>/<attempt>/<phase>/<name>")
    workspace, run, attempt, phase, name = parts
    if (workspace, run, phase, name) != (str(row.workspace_id), str(row.run_id), row.phase, row.name):
        raise ValueError(f"uri {row.uri} disagrees with the record's workspace, run, phase or name")
    try:
        key = ArtifactKey(workspace=workspace, run=run, attempt=int(attempt), phase=phase, name=name)
        return ArtifactRecord(
            key=key,
            bucket=bucket,
            uri=row.uri,
            sha256=row.sha256,
            size=row.size_bytes,
            content_type=row.content_type,
            lineage=Lineage(),  # verify compares bytes only
            version_id=row.version_id,
            etag=row.etag,
        )
    except ValidationError as exc:
        raise ValueError(f"uri {row.uri}: {exc.errors()[0]['msg']}") from None


@artifacts_app.command("list")
@handles_errors()
def list_artifacts(
    run_arg: str = typer.Argument(..., metavar="RUN", help="Run id (full, or the 8-character short form)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The artifacts a run registered: phase, name, size, SHA-256, uri."""
    plane = common.connect()
    try:
        row = common.run(plane, run_arg)
        rows = plane.artifacts(run_id=row.run_id)
        numbers = {a.id: a.attempt_no for a in plane.run_attempts(row.run_id)} if rows else {}
    finally:
        plane.close()
    if as_json:
        print_json([{**a.model_dump(mode="json"), "attempt_no": numbers.get(a.attempt_id)} for a in rows])
        return
    table = Table(title=f"artifacts of run {common.short(row.run_id)}", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("att", justify="right")
    table.add_column("phase")
    table.add_column("name")
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("sha256", no_wrap=True)
    table.add_column("uri", overflow="fold")
    for a in rows:
        table.add_row(
            str(numbers.get(a.attempt_id, "")), a.phase, a.name, common.size(a.size_bytes), a.sha256[:12], a.uri
        )
    out.print(table)
    if not rows:
        err.print(f"run {row.run_id} has no artifacts")


@artifacts_app.command("verify")
@handles_errors()
def verify(
    run_arg: str | None = typer.Argument(None, metavar="[RUN]", help="Run id (full, or the short form)."),
    all_runs: bool = typer.Option(False, "--all", help="Every artifact visible to you (or of --workspace)."),
    workspace: str | None = typer.Option(None, help="With --all: only this workspace (slug)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Re-read artifacts from S3 and compare SHA-256 and size with their records; each result is recorded
    (an artifact.verified or artifact.verification_failed run event). Every artifact is read, page by page;
    exit 1 unless all of them are ok.

    A record with an S3 version id is checked against exactly that version (recorded_intact), and the
    verdict is on what the uri serves now: a later put or delete marker over the key is reported
    (superseded), as mismatch or missing. An artifact whose object retention deleted (artifacts_after_days)
    is reported as expired: not read, not recorded, not a failure."""
    if (run_arg is None) == (not all_runs):
        fail("give a RUN or --all (exactly one of them)", hint="controlroom artifacts verify <run id>, or --all.")
    if workspace and not all_runs:
        fail("--workspace goes with --all", hint="A RUN already names its workspace.")
    store = ArtifactStore(
        s3_client(os.environ.get("S3_ENDPOINT_URL") or None, os.environ.get("AWS_REGION") or None),
        os.environ.get("CONTROLROOM_BUCKET", "controlroom-artifacts"),
    )
    plane = common.connect()
    results: list[dict[str, Any]] = []  # every result for --json; the failures otherwise
    counts = dict.fromkeys(VERDICT_STYLES, 0)
    try:
        run_id = common.run(plane, run_arg).run_id if run_arg is not None else None
        workspace_id = common.workspace(plane, workspace).id if workspace else None
        total = plane.count_artifacts(run_id=run_id, workspace_id=workspace_id)
        with Tally("verifying artifacts", total, quiet=as_json) as tally:
            for page in plane.artifact_pages(run_id=run_id, workspace_id=workspace_id):
                expired = plane.artifact_expiries([row.id for row in page])
                for row in page:
                    gone = expired.get(row.id)
                    result = _expired(row, gone) if gone else _verify_and_record(plane, store, row)
                    counts[result["status"]] += 1
                    tally.advance()
                    if as_json or not result["ok"]:
                        results.append(result)
                    if not as_json:
                        _print_result(result)
    finally:
        plane.close()
    checked, bad = tally.done, [r for r in results if not r["ok"]]
    # Counted before reading: fewer read than counted means some were not checked (never a pass).
    unchecked = max(total - checked, 0)
    if as_json:
        print_json(results)
    else:
        summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        err.print(
            f"{checked} of {tally.total} artifact(s) checked{': ' + summary if summary else ''}"
            + (f"; {unchecked} counted but not read" if unchecked else ""),
            style="red" if bad or unchecked else "green",
        )
        for result in bad:
            _print_result(result, console=err)
    if bad or unchecked:
        raise typer.Exit(1)


def _expired(row: Artifact, expiry: ArtifactExpiry) -> dict[str, Any]:
    """Retention deleted the object on purpose (artifact_expiries): not read, not recorded, not a failure."""
    return {
        "artifact_id": str(row.id),
        "run_id": str(row.run_id),
        "phase": row.phase,
        "name": row.name,
        "uri": row.uri,
        "expected_sha256": row.sha256,
        "expected_size": row.size_bytes,
        "actual_sha256": None,
        "actual_size": None,
        "version_id": row.version_id,
        "superseded": False,
        "recorded_intact": None,
        "status": "expired",
        "ok": True,
        "expired_at": expiry.expired_at.isoformat(),
        "expiry_outcome": expiry.outcome,
    }


def _verify_and_record(plane: ControlPlane, store: ArtifactStore, row: Artifact) -> dict[str, Any]:
    result = _verify_one(store, row)
    if result["status"] != "error":
        reply = plane.record_artifact_verification(
            row.id, ok=result["ok"], actual_sha256=result["actual_sha256"], actual_size=result["actual_size"]
        )
        result["event_id"] = reply.get("event_id")
    return result


def _verify_one(store: ArtifactStore, row: Artifact) -> dict[str, Any]:
    result: dict[str, Any] = {
        "artifact_id": str(row.id),
        "run_id": str(row.run_id),
        "phase": row.phase,
        "name": row.name,
        "uri": row.uri,
        "expected_sha256": row.sha256,
        "expected_size": row.size_bytes,
        "actual_sha256": None,
        "actual_size": None,
        "version_id": row.version_id,
        "superseded": False,
        "recorded_intact": None,
    }
    try:
        verdict = store.verify(record_from_row(row))
    except (ValueError, ArtifactError, BotoCoreError) as exc:
        # Nothing was read, so nothing is recorded: "could not check" is not "missing".
        return {**result, "status": "error", "ok": False, "error": str(exc)}
    return {
        **result,
        "status": verdict.status,
        "ok": verdict.ok,
        "actual_sha256": verdict.actual_sha256,
        "actual_size": verdict.actual_size,
        "superseded": verdict.superseded,
        "recorded_intact": verdict.recorded_intact,
    }


def _print_result(result: dict[str, Any], console: Console = out) -> None:
    status = result["status"]
    line = Text.assemble((f"{status:<9}", VERDICT_STYLES[status]), result["uri"])
    if status == "mismatch":
        line.append(
            f"  expected {result['expected_sha256'][:12]} ({result['expected_size']} B), "
            f"found {str(result['actual_sha256'])[:12]} ({result['actual_size']} B)",
            style="red",
        )
    elif status == "error":
        line.append(f"  not checked: {result['error']}", style="red")
    elif status == "expired":
        line.append(f"  deleted by retention at {result['expired_at']}", style="dim")
    if result.get("superseded"):
        # The recorded version is intact (Object Lock keeps it); someone wrote over the key since.
        line.append("  (the key now serves a later version or a delete marker)", style="yellow")
    console.print(line, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(artifacts_app)
