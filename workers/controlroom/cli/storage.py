"""`controlroom storage provision [--workspace ID|SLUG]`: the IAM role of each workspace, which is all the
S3 access its runs get (README, "Tenant-scoped storage")."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from controlroom.cli import common
from controlroom.cli.common import fail, handles_errors, out, print_json
from controlroom.client.control_plane import ControlPlane
from controlroom.settings import StorageSettings
from controlroom.storage.provision import provisioner_from

storage_app = typer.Typer(name="storage", help="Per-workspace S3 roles (tenant-scoped storage).", no_args_is_help=True)


@storage_app.command("provision")
@handles_errors()
def provision(
    workspace: Annotated[
        list[str] | None,
        typer.Option("--workspace", "-w", help="A workspace id or slug (repeatable); default: every one you can see."),
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Create or update the role of each workspace: it may read and write only s3://<bucket>/<workspace id>/,
    and only the executor identity may assume it. Idempotent; needs IAM rights (the local stack's admin
    identity, or an operator's). Uses CONTROLROOM_WORKSPACE_ROLE_ARN, CONTROLROOM_EXECUTOR_PRINCIPAL_ARN,
    CONTROLROOM_BUCKET and CONTROLROOM_IAM_ENDPOINT_URL."""
    settings = StorageSettings.from_env()
    bucket = os.environ.get("CONTROLROOM_BUCKET", "controlroom-artifacts")
    try:
        provisioner = provisioner_from(settings, bucket)
    except ValueError as exc:
        fail(str(exc), hint='For the local stack: eval "$(controlroom env)". See README, "Tenant-scoped storage".')
    plane = common.connect()
    try:
        if workspace:
            ids = [_workspace_id(plane, item) for item in workspace]
        else:
            ids = [str(row["id"]) for row in plane.select("workspaces", columns="id", order="created_at")]
    finally:
        plane.close()
    done = [provisioner.provision(ws) for ws in ids]
    if as_json:
        print_json([{"workspace_id": p.workspace_id, "role_arn": p.role_arn, "created": p.created} for p in done])
        return
    for p in done:
        out.print(f"{'created' if p.created else 'updated':<8} {p.role_arn}")
    if not done:
        out.print("no workspaces")


def _workspace_id(plane: ControlPlane, text: str) -> str:
    if len(text) == 36 and text.count("-") == 4:
        return text
    return str(common.workspace(plane, text).id)


def register(app: typer.Typer) -> None:
    app.add_typer(storage_app)
