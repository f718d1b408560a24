"""`controlroom retention apply` and `controlroom retention set`: the workspaces' retention policies,
and the deletes of artifact objects that the control plane decides but cannot carry out (it cannot
reach S3). See docs/specs.md, "Retention"."""

from __future__ import annotations

import os
import socket
import time

import typer

from controlroom.artifacts import s3_client
from controlroom.cli import common
from controlroom.cli.common import err, handles_errors, out, print_json
from controlroom.retention import ExpiryTally, expire_artifacts

retention_app = typer.Typer(
    name="retention",
    help="Retention: set a workspace's policy; delete the artifact objects it made due (apply).",
    no_args_is_help=True,
)

DAYS_HELP = "Days to keep; omit to keep forever."


@retention_app.command("set")
@handles_errors()
def set_policy(
    workspace: str = typer.Option(..., envvar="CONTROLROOM_WORKSPACE", help="Workspace (slug)."),
    events_days: int | None = typer.Option(None, "--events-days", help=f"Run events of finished runs. {DAYS_HELP}"),
    runs_days: int | None = typer.Option(None, "--runs-days", help=f"Finished runs with their history. {DAYS_HELP}"),
    artifacts_days: int | None = typer.Option(
        None, "--artifacts-days", help=f"Artifact objects in S3 (records stay). {DAYS_HELP}"
    ),
    verifications_days: int | None = typer.Option(
        None, "--verifications-days", help=f"Verification records. {DAYS_HELP}"
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Replace the workspace's retention policy (admins and owners). Every period omitted keeps that
    history forever."""
    plane = common.connect()
    try:
        row = plane.set_retention_policy(
            common.workspace(plane, workspace).id,
            events_after_days=events_days,
            runs_after_days=runs_days,
            artifacts_after_days=artifacts_days,
            verifications_after_days=verifications_days,
        )
    finally:
        plane.close()
    if as_json:
        print_json(row)
        return
    kept = {
        "events": row.get("events_after_days"),
        "runs": row.get("runs_after_days"),
        "artifact objects": row.get("artifacts_after_days"),
        "verification records": row.get("verifications_after_days"),
    }
    out.print(
        f"retention of {workspace}: "
        + ", ".join(f"{what} {f'{days} days' if days else 'forever'}" for what, days in kept.items())
    )


@retention_app.command("apply")
@handles_errors()
def apply(
    batch: int = typer.Option(100, min=1, max=1000, help="Artifacts per claim (one bounded batch)."),
    lease_seconds: int = typer.Option(300, min=10, max=3600, help="How long a batch's claim holds."),
    max_batches: int | None = typer.Option(None, min=1, help="Stop after this many batches (default: all due)."),
    every: float | None = typer.Option(
        None, min=1.0, help="Keep running: apply again this many seconds after each pass (a long-lived process)."
    ),
    workspace: str | None = typer.Option(None, help="Only this workspace (slug); default every workspace."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable summary."),
) -> None:
    """Delete from S3 the artifact objects the workspaces' artifacts_after_days made due: claim a batch,
    delete exactly the version each record pins, confirm; until nothing is due. Needs the service-role key
    and S3 credentials allowed to delete object versions. Objects still under Object Lock are left and
    tried again when their retention ends (recorded in artifact_expiry_queue). Exit 1 if a delete failed."""
    claimer = f"{socket.gethostname()}:{os.getpid()}"
    s3 = s3_client(os.environ.get("S3_ENDPOINT_URL") or None, os.environ.get("AWS_REGION") or None)
    while True:
        plane = common.connect()
        try:
            workspace_id = common.workspace(plane, workspace).id if workspace else None
            tally = expire_artifacts(
                plane,
                s3,
                claimer,
                batch=batch,
                lease_seconds=lease_seconds,
                max_batches=max_batches,
                workspace_id=workspace_id,
            )
        finally:
            plane.close()
        _report(tally, as_json)
        if every is None:
            break
        time.sleep(every)
    if tally.failed:
        raise typer.Exit(1)


def _report(tally: ExpiryTally, as_json: bool) -> None:
    if as_json:
        print_json(tally.as_dict())
        return
    err.print(
        f"{tally.claimed} artifact object(s) claimed in {tally.batches} batch(es): {tally.deleted} deleted, "
        f"{tally.already_gone} already gone, {tally.locked} still locked (retried after their retention), "
        f"{tally.failed} failed, {tally.rejected} taken by another claim",
        style="red" if tally.failed else "green",
    )
    for line in tally.errors:
        err.print(f"  failed: {line}", style="red")


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app)
