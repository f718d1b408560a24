"""Configuration from the environment, with the defaults documented in README.md.

Every knob has one name and one default here; nothing else in the package reads os.environ
for configuration, so `controlroom env` and the docs cannot drift from the code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not an integer; unset it or give a port number.") from None


def project_root() -> Path:
    """The checkout this package runs from (holds supabase/ and scripts/)."""
    override = os.environ.get("CONTROLROOM_PROJECT_DIR")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class StackSettings:
    """Where the local stack lives and which loopback ports it uses."""

    state_dir: Path
    pg_port: int
    api_port: int
    s3_port: int
    pg_bindir: Path
    s3_endpoint_url: str | None
    bucket: str
    db_name: str = "postgres"
    host: str = "127.0.0.1"
    page_port: int = 54323  # the control room page (Supabase Studio's local port)
    # The local alert dispatcher (supabase/functions/alert-dispatch/local.ts); by default the API's port
    # + 7, so stacks on other ports never share it.
    functions_port: int = 54328
    # The Edge Functions runtime (supabase/functions/_runtime/main.ts) that the gateway's /functions/v1
    # routes to; by default the API's port + 9 (+8 is the S3 endpoint's default).
    edge_port: int = 54330
    # Object Lock retention of every artifact the executors upload: COMPLIANCE (nobody, the admin
    # included, deletes or changes the version before it expires), GOVERNANCE, or off (for a bucket
    # without Object Lock). The local stack's bucket is created with Object Lock unless off.
    object_lock_mode: str = "COMPLIANCE"
    object_lock_days: int = 1
    # The embedded Spark Connect server (Sail) starts only when asked: CONTROLROOM_SPARK=1. It starts in
    # ~0.2 s but holds ~150 MB resident while idle, which every other test stack would pay for nothing.
    spark: bool = False
    spark_port: int = 54331

    @classmethod
    def from_env(cls) -> StackSettings:
        state = os.environ.get("CONTROLROOM_STATE_DIR") or str(project_root() / ".controlroom")
        return cls(
            state_dir=Path(state).resolve(),
            pg_port=_int("CONTROLROOM_PG_PORT", 54322),
            api_port=_int("CONTROLROOM_API_PORT", 54321),
            s3_port=_int("CONTROLROOM_S3_PORT", 54329),
            pg_bindir=Path(os.environ.get("CONTROLROOM_PG_BINDIR") or "/usr/lib/postgresql/15/bin"),
            s3_endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
            bucket=os.environ.get("CONTROLROOM_BUCKET") or "controlroom-artifacts",
            page_port=_int("CONTROLROOM_PAGE_PORT", 54323),
            functions_port=_int("CONTROLROOM_FUNCTIONS_PORT", _int("CONTROLROOM_API_PORT", 54321) + 7),
            edge_port=_int("CONTROLROOM_EDGE_PORT", _int("CONTROLROOM_API_PORT", 54321) + 9),
            object_lock_mode=_lock_mode(os.environ.get("CONTROLROOM_OBJECT_LOCK_MODE") or "COMPLIANCE"),
            object_lock_days=_int("CONTROLROOM_OBJECT_LOCK_DAYS", 1),
            spark=(os.environ.get("CONTROLROOM_SPARK") or "0").strip().lower() in ("1", "true", "yes"),
            spark_port=_int("CONTROLROOM_SPARK_PORT", 54331),
        )


def _lock_mode(raw: str) -> str:
    mode = raw.upper()
    if mode not in ("COMPLIANCE", "GOVERNANCE", "OFF"):
        raise SystemExit(f"CONTROLROOM_OBJECT_LOCK_MODE={raw!r} must be COMPLIANCE, GOVERNANCE or off.")
    return mode


def _flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class StorageSettings:
    """How an executor obtains the S3 credentials it hands a run's phases (README, "Tenant-scoped storage").

    vended (default): one STS AssumeRole per run on the workspace's role (role_arn_template with
    {workspace_id}), with the executor identity (executor_access_key/secret, else boto3's usual chain);
    only those session credentials reach the phase. shared: the executor's own credentials are handed
    to every phase (single-tenant setups without IAM only; anything a phase does, any tenant can).
    """

    credentials: str  # "vended" | "shared"
    role_arn_template: str | None
    sts_endpoint_url: str | None
    iam_endpoint_url: str | None
    executor_access_key: str | None
    executor_secret_key: str | None
    auto_provision: bool  # local stack: create a missing workspace role with the admin identity
    verify_role: bool  # check the role exists before AssumeRole (moto vends credentials for any role)
    session_max_seconds: int
    region: str
    executor_principal_arn: str | None  # who the workspace roles trust (provisioning only)

    @classmethod
    def from_env(cls) -> StorageSettings:
        mode = (os.environ.get("CONTROLROOM_STORAGE_CREDENTIALS") or "vended").strip().lower()
        if mode not in ("vended", "shared"):
            raise SystemExit(f"CONTROLROOM_STORAGE_CREDENTIALS={mode!r} must be vended or shared.")
        return cls(
            credentials=mode,
            role_arn_template=os.environ.get("CONTROLROOM_WORKSPACE_ROLE_ARN") or None,
            sts_endpoint_url=os.environ.get("CONTROLROOM_STS_ENDPOINT_URL") or None,
            iam_endpoint_url=os.environ.get("CONTROLROOM_IAM_ENDPOINT_URL") or None,
            executor_access_key=os.environ.get("CONTROLROOM_EXECUTOR_AWS_ACCESS_KEY_ID") or None,
            executor_secret_key=os.environ.get("CONTROLROOM_EXECUTOR_AWS_SECRET_ACCESS_KEY") or None,
            auto_provision=_flag("CONTROLROOM_STORAGE_AUTO_PROVISION"),
            verify_role=_flag("CONTROLROOM_STORAGE_VERIFY_ROLE"),
            session_max_seconds=_int("CONTROLROOM_STORAGE_SESSION_MAX_SECONDS", 43_200),
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            executor_principal_arn=os.environ.get("CONTROLROOM_EXECUTOR_PRINCIPAL_ARN") or None,
        )
