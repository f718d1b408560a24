"""`controlroom worker`: run an executor in the foreground until the queue is drained or a signal."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import boto3
import typer
from botocore.config import Config
from rich.console import Console

from controlroom import keys
from controlroom.artifacts import ArtifactStore, ObjectLock, s3_client
from controlroom.artifacts.credentials import CredentialVendor, executor_sts
from controlroom.artifacts.probe import StorageUnreachable, check_reachable, check_write
from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import ConfigurationError
from controlroom.executor import hardening
from controlroom.executor.launchers import LAUNCHER_KUBERNETES_JOB, launcher_from_env
from controlroom.executor.logs import JsonLog
from controlroom.executor.loop import (
    DEFAULT_STARTUP_WAIT_SECONDS,
    EXIT_CONFIG,
    EXIT_UNAVAILABLE,
    Executor,
    ExecutorOptions,
    FatalError,
)
from controlroom.executor.polling import DEFAULT_CEILING_SECONDS
from controlroom.executor.signals import on_stop
from controlroom.executor.wakeups import DEFAULT_FALLBACK_POLL_SECONDS, WakeupSource
from controlroom.phases.identity import IdentityError, PhaseIdentities
from controlroom.phases.launch import unreachable_reason
from controlroom.settings import StackSettings, StorageSettings
from controlroom.storage.provision import provisioner_from

if TYPE_CHECKING:
    from controlroom.executor.podrun import PodRunLauncher

SAME_UID_WARNING = (
    "the worker is neither root nor holds CAP_SETUID+CAP_SETGID, so phases run as its own uid: they "
    "cannot read its memory or environment (non-dumpable), but can signal it and read each other's "
    "files; see docs/security.md"
)


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


def wakeup_source(token: str) -> WakeupSource | None:
    """Push wake-ups unless CONTROLROOM_WAKEUPS=off; CONTROLROOM_FALLBACK_POLL_SECONDS (default 5)
    is the polling interval that remains for a missed message. Read before the environment is
    scrubbed."""
    if os.environ.get("CONTROLROOM_WAKEUPS", "on").lower() in ("off", "0", "false", "no"):
        return None
    url, api_key = os.environ.get("SUPABASE_URL"), os.environ.get("SUPABASE_ANON_KEY")
    if not url or not api_key:
        return None
    fallback = float(os.environ.get("CONTROLROOM_FALLBACK_POLL_SECONDS", DEFAULT_FALLBACK_POLL_SECONDS))
    return WakeupSource(url, api_key, token, fallback_poll_seconds=fallback)


def storage_vendor(bucket: str, log: JsonLog) -> CredentialVendor | None:
    """Per-run credentials of the workspace's role (README, "Tenant-scoped storage"). Built before the
    environment is scrubbed: it reads the executor identity (and, locally, the admin's)."""
    storage = StorageSettings.from_env()
    if storage.credentials == "shared":
        log("storage.shared_credentials", level="warning", detail="every phase gets the worker's own S3 keys")
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


def run_launcher(vendor: CredentialVendor | None, log: JsonLog) -> PodRunLauncher | None:
    """CONTROLROOM_RUN_LAUNCHER: `process` (default) runs a run's phases as subprocesses of this worker;
    `kubernetes-job` runs each run in a Job of its own (executor/podrun.py; deploy/kubernetes/overlays/
    pod-per-run). Read before the environment is scrubbed (the cluster's credentials)."""
    try:
        launcher = launcher_from_env()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="CONTROLROOM_RUN_LAUNCHER") from None
    if launcher != LAUNCHER_KUBERNETES_JOB:
        return None
    if vendor is None:
        raise typer.BadParameter(
            "a run's pod gets only the run's vended credentials: CONTROLROOM_RUN_LAUNCHER=kubernetes-job needs "
            "CONTROLROOM_STORAGE_CREDENTIALS=vended (the default) and CONTROLROOM_WORKSPACE_ROLE_ARN",
            param_hint="CONTROLROOM_RUN_LAUNCHER",
        )
    # The kubernetes extra: imported only by a worker that launches Jobs.
    from controlroom.executor.podrun import PodRunLauncher, PodRunSettings, api_client

    try:
        settings = PodRunSettings.from_env()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="CONTROLROOM_RUN_IMAGE") from None
    log("executor.pod_per_run", namespace=settings.namespace, image=settings.image)
    return PodRunLauncher(api_client(), settings)


def check_storage(store: ArtifactStore, vendor: CredentialVendor | None, log: JsonLog) -> None:
    """Refuse to start (EX_UNAVAILABLE) when the data plane cannot take this worker's outputs
    (artifacts/probe.py). CONTROLROOM_STORAGE_PROBE=off skips it (tests of the refusal paths only)."""
    if os.environ.get("CONTROLROOM_STORAGE_PROBE", "on").lower() in ("off", "0", "false", "no"):
        return
    endpoint = os.environ.get("S3_ENDPOINT_URL") or None
    try:
        if vendor is None:
            key = check_write(store.client, store.bucket, endpoint)
            log("storage.probe_written", uri=f"s3://{store.bucket}/{key}")
        else:
            storage = vendor.settings
            # The executor identity, as it will call STS for every run (not the phases' credentials).
            s3 = boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name=storage.region,
                aws_access_key_id=storage.executor_access_key,
                aws_secret_access_key=storage.executor_secret_key,
                config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=10),
            )
            check_reachable(s3, executor_sts(storage), store.bucket, endpoint)
            log("storage.probe_reached", bucket=store.bucket)
    except StorageUnreachable as exc:
        stop(f"the worker cannot store artifacts, so it does not start: {exc}", EXIT_UNAVAILABLE)


def stop(message: str, code: int) -> NoReturn:
    """One clear paragraph on stderr and a non-zero exit (a supervisor restarts or a person looks)."""
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


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
        # First of all: closes /proc/<worker>/{environ,mem,maps} to same-uid processes (phases
        # when the worker cannot switch uid), before any secret is read.
        non_dumpable = hardening.make_non_dumpable()
        try:
            identities = PhaseIdentities.from_env()
        except IdentityError as exc:
            raise typer.BadParameter(str(exc)) from None
        if identities is not None:
            with identities.held() as probe:
                reason = unreachable_reason(sys.executable, probe)
            if reason is not None:
                raise typer.BadParameter(
                    f"phases run as unprivileged uids, and {reason}. Make the interpreter, the virtualenv and "
                    "the package readable and their directories searchable by other users (scripts/setup "
                    "does this for a Python under /root); see docs/security.md"
                )
        token_file = os.environ.get("CONTROLROOM_TOKEN_FILE")
        if token is None and token_file:
            try:
                token = hardening.read_token_file(Path(token_file))
            except hardening.HardeningError as exc:
                raise typer.BadParameter(str(exc)) from None
        if token is None:
            # Local convenience: with the project secret at hand (the local stack), mint a token.
            token = keys.executor_token(os.environ.get("SUPABASE_JWT_SECRET"), pool=pool, ttl_seconds=7 * 24 * 3600)
        try:
            plane = ControlPlane.connect(access_token=token)
        except ConfigurationError as exc:
            stop(str(exc), EXIT_CONFIG)
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
            wakeups=wakeup_source(token),
            startup_wait_seconds=float(
                os.environ.get("CONTROLROOM_STARTUP_WAIT_SECONDS", DEFAULT_STARTUP_WAIT_SECONDS)
            ),
        )
        log = JsonLog(component="worker")
        vendor = storage_vendor(bucket, log)
        check_storage(store, vendor, log)
        pods = run_launcher(vendor, log)
        executor = Executor(plane, store, options, log, identities=identities, vendor=vendor, pods=pods)
        # Everything that needed a secret has read it (the token, the S3 client, the phases' data
        # credentials): nothing the worker does later, or spawns, sees them in its environment.
        scrubbed = hardening.scrub_secrets()
        log(
            "executor.sandbox",
            non_dumpable=non_dumpable,
            phase_uids=f"{identities.base}..{identities.base + identities.count - 1}" if identities else None,
            scrubbed_env=scrubbed,
        )
        if identities is None:
            log("executor.same_uid_phases", level="warning", detail=SAME_UID_WARNING)
        try:
            with on_stop(executor.handle_signal):
                code = executor.run()
        except FatalError as exc:
            log("executor.fatal", level="error", error=str(exc), exit_code=exc.exit_code)
            stop(str(exc), exc.exit_code)
        finally:
            plane.close()
        raise typer.Exit(code)
