"""Per-run S3 credentials, scoped to the run's workspace (what Unity Catalog vends for Databricks).

Once per run, in the run's own thread (never on the claim path), the executor identity calls STS
AssumeRole on the workspace's role; the phase gets only those session credentials, and the
executor's uploads of the run's artifacts and logs use them too. The role's policy allows
`arn:aws:s3:::<bucket>/<workspace_id>/*` and nothing else, so even code that ignores every spec
rule cannot read, overwrite or delete another workspace's objects.

Session length: the run's remaining time to its deadline, at least STS's minimum (900 s) and at
most the role's maximum (CONTROLROOM_STORAGE_SESSION_MAX_SECONDS, 12 h by default). A run that
lives longer than its session loses S3 access (the phase's storage calls fail); runs are capped by
the spec's max_duration_seconds, so keep that within the session maximum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from controlroom.artifacts.client import s3_client
from controlroom.settings import StorageSettings
from controlroom.storage.provision import RoleProvisioner, role_name_from_arn

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

STS_MIN_SECONDS = 900
STORAGE_ROLE_MISSING = "storage_role_missing"
PROVISION_HINT = "controlroom storage provision --workspace {workspace_id}"
_DENIED = {"AccessDenied", "NoSuchEntity", "AccessDeniedException", "InvalidClientTokenId"}


class CredentialsError(Exception):
    """Credentials could not be vended. `retryable` says whether another attempt may succeed."""

    error_class = "storage_credentials_unavailable"
    retryable = True


class StorageRoleMissing(CredentialsError):
    """The workspace has no role (or the executor may not assume it): nothing a retry can change."""

    error_class = STORAGE_ROLE_MISSING
    retryable = False


@dataclass(frozen=True)
class VendedCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    role_arn: str
    seconds: float  # how long vending took (AssumeRole, plus the checks before it)

    def phase_env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }

    def s3(self, endpoint_url: str | None, region: str | None) -> S3Client:
        return s3_client(
            endpoint_url,
            region,
            credentials=(self.access_key_id, self.secret_access_key, self.session_token),
        )


def session_seconds(deadline_at: datetime | None, maximum: int, now: datetime | None = None) -> int:
    """The run's remaining time to its deadline, clamped to [STS minimum, maximum]."""
    maximum = max(STS_MIN_SECONDS, maximum)
    if deadline_at is None:
        return maximum
    remaining = int((deadline_at - (now or datetime.now(UTC))).total_seconds())
    return min(maximum, max(STS_MIN_SECONDS, remaining))


class CredentialVendor:
    def __init__(
        self,
        settings: StorageSettings,
        *,
        sts: STSClient | None = None,
        iam: IAMClient | None = None,
        provisioner: RoleProvisioner | None = None,
    ) -> None:
        if not settings.role_arn_template or "{workspace_id}" not in settings.role_arn_template:
            raise ValueError(
                "CONTROLROOM_WORKSPACE_ROLE_ARN must be set to a role ARN template with {workspace_id}, e.g. "
                "arn:aws:iam::123456789012:role/controlroom-ws-{workspace_id}"
            )
        self.settings = settings
        self.template = settings.role_arn_template
        self.sts = sts or executor_sts(settings)
        self.iam = iam or (executor_iam(settings) if settings.verify_role else None)
        self.provisioner = provisioner

    def role_arn(self, workspace_id: str) -> str:
        return self.template.format(workspace_id=workspace_id)

    def vend(
        self, workspace_id: str, *, run_id: str, attempt: int, deadline_at: datetime | None = None
    ) -> VendedCredentials:
        started = time.perf_counter()
        role_arn = self.role_arn(workspace_id)
        hint = PROVISION_HINT.format(workspace_id=workspace_id)
        try:
            if self.provisioner is not None:
                self.provisioner.ensure(workspace_id)
            if self.iam is not None:
                self.iam.get_role(RoleName=role_name_from_arn(role_arn))
            reply = self.sts.assume_role(
                RoleArn=role_arn,
                RoleSessionName=f"run-{run_id}-{attempt}"[:64],
                DurationSeconds=session_seconds(deadline_at, self.settings.session_max_seconds),
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _DENIED:
                raise StorageRoleMissing(
                    f"workspace {workspace_id} has no storage role the executor may assume ({role_arn}: {code}); "
                    f"create it with `{hint}`"
                ) from exc
            raise CredentialsError(f"STS AssumeRole on {role_arn} failed: {code or exc}") from exc
        except BotoCoreError as exc:
            raise CredentialsError(f"STS AssumeRole on {role_arn} failed: {exc}") from exc
        creds = reply["Credentials"]
        return VendedCredentials(
            access_key_id=creds["AccessKeyId"],
            secret_access_key=creds["SecretAccessKey"],
            session_token=creds["SessionToken"],
            expiration=creds["Expiration"],
            role_arn=role_arn,
            seconds=time.perf_counter() - started,
        )


def _config() -> Config:
    return Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10)


def executor_sts(settings: StorageSettings) -> STSClient:
    """STS as the executor identity (explicit keys, else boto3's chain: instance or pod role)."""
    return boto3.client(
        "sts",
        endpoint_url=settings.sts_endpoint_url,
        region_name=settings.region,
        aws_access_key_id=settings.executor_access_key,
        aws_secret_access_key=settings.executor_secret_key,
        config=_config(),
    )


def executor_iam(settings: StorageSettings) -> IAMClient:
    return boto3.client(
        "iam",
        endpoint_url=settings.iam_endpoint_url,
        region_name=settings.region,
        aws_access_key_id=settings.executor_access_key,
        aws_secret_access_key=settings.executor_secret_key,
        config=_config(),
    )
