"""`controlroom worker`: run an executor in the foreground until the queue is drained or a signal."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from controlroom import keys
from controlroom.artifacts import ArtifactStore, ObjectLock, s3_client
from controlroom.artifacts.credentials import CredentialVendor
from controlroom.client.control_plane import ControlPlane
from controlroom.executor.logs import JsonLog
from controlroom.executor.loop import Executor, ExecutorOptions
from controlroom.executor.polling import DEFAULT_CEILING_SECONDS
from controlroom.settings import StackSettings, StorageSettings
from controlroom.storage.provision import provisioner_from


def parse_labels(text: str | None) -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(
                f"{item!r} is not k=v; write e.g. --labels gpu=a100,zone=eu", param_hint="--labels"
            )
        labels[key.strip()] = value.strip()
    return labels


def _vendor(bucket: str, log: JsonLog) -> CredentialVendor | None:
    storage = StorageSettings.from_env()
    if storage.credentials == "shared":
        log("storage.shared_credentials", level="warn", detail="every phase gets the executor's own S3 keys")
        return None
    if not storage.role_arn_template:
        raise typer.BadParameter(
            "set CONTROLROOM_WORKSPACE_ROLE_ARN (e.g. arn:aws:iam::123456789012:role/controlroom-ws-{workspace_id}): "
            "phases get per-run credentials of their workspace's role; `controlroom env` sets it for the local "
            "stack. Single-tenant setups without IAM may set CONTROLROOM_STORAGE_CREDENTIALS=shared instead.",
            param_hint="CONTROLROOM_WORKSPACE_ROLE_ARN",
        )
    provisioner = None
    if storage.auto_provision:
        # Local stack only: the admin identity of this environment creates a workspace's role on its
        # first run. Production creates roles with `controlroom storage provision` (or Terraform).
        provisioner = provisioner_from(storage, bucket)
    return CredentialVendor(storage, provisioner=provisioner)


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        pool: str = typer.Option(os.environ.get("CONTROLROOM_POOL", "default"), help="Pool to claim runs from."),
        concurrency: int = typer.Option(1, min=1, max=100, help="Runs executed at the same time."),
        once: bool = typer.Option(False, "--once", help="Drain the queue, then exit 0."),
        labels: str | None = typer.Option(None, help="Capabilities, k=v,k=v (matched against spec labels)."),
        grace: float = typer.Option(30.0, min=0, help="Seconds a SIGTERM waits for running phases."),
        poll_max: float = typer.Option(DEFAULT_CEILING_SECONDS, min=0.01, help="Idle polling ceiling (s)."),
        heartbeat: float = typer.Option(10.0, min=0.2, help="Heartbeat period (s); shortened for tight tolerances."),
        completion_window: float = typer.Option(
            5.0,
            min=0,
            max=1000,
            help="Milliseconds a finished run waits for others to complete with it in one call (0: at once).",
        ),
        token: str | None = typer.Option(None, envvar="CONTROLROOM_TOKEN", help="Executor JWT (bearer)."),
    ) -> None:
        """Claim and execute runs (RPC only over SUPABASE_URL; artifacts to S3)."""
        if token is None:
            # Local convenience: with the project secret at hand (the local stack), mint a token.
            token = keys.executor_token(os.environ.get("SUPABASE_JWT_SECRET"), pool=pool, ttl_seconds=7 * 24 * 3600)
        plane = ControlPlane.connect(access_token=token)
        bucket = os.environ.get("CONTROLROOM_BUCKET", "controlroom-artifacts")
        settings = StackSettings.from_env()
        store = ArtifactStore(
            s3_client(os.environ.get("S3_ENDPOINT_URL") or None, os.environ.get("AWS_REGION") or None),
            bucket,
            lock=ObjectLock.from_setting(settings.object_lock_mode, settings.object_lock_days),
        )
        health = os.environ.get("CONTROLROOM_HEALTH_FILE")
        options = ExecutorOptions(
            pool=pool,
            concurrency=concurrency,
            labels=parse_labels(labels),
            once=once,
            grace_seconds=grace,
            poll_ceiling_seconds=poll_max,
            heartbeat_seconds=heartbeat,
            completion_window_seconds=completion_window / 1000,
            health_file=Path(health) if health else None,
        )
        log = JsonLog(component="worker")
        executor = Executor(plane, store, options, log, vendor=_vendor(bucket, log))
        executor.install_signal_handlers()
        try:
            code = executor.run()
        finally:
            plane.close()
        raise typer.Exit(code)
