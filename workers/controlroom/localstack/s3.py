"""The S3-compatible endpoint: a loopback moto server, unless S3_ENDPOINT_URL names another one."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from controlroom.localstack.errors import StackError
from controlroom.localstack.procs import (
    pid_alive,
    read_pid,
    require_free_port,
    start_detached,
    stop_pidfile,
    wait_for_port,
)
from controlroom.settings import StackSettings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LOCAL_REGION = "us-east-1"
IDENTITIES_WAIT_SECONDS = 30


@dataclass(frozen=True)
class Identity:
    arn: str
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class StackIdentities:
    """The keys the local endpoint generated at its start (objectserver.py): owner-only, in the state folder."""

    admin: Identity
    executor: Identity

    @classmethod
    def load(cls, path: Path) -> StackIdentities | None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return cls(
            admin=Identity(data["admin"]["arn"], data["admin"]["access_key_id"], data["admin"]["secret_access_key"]),
            executor=Identity(
                data["executor"]["arn"], data["executor"]["access_key_id"], data["executor"]["secret_access_key"]
            ),
        )


@dataclass(frozen=True)
class ObjectStore:
    settings: StackSettings

    @property
    def external(self) -> bool:
        url = self.settings.s3_endpoint_url
        return url is not None and url.rstrip("/") != self.local_url

    @property
    def local_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.s3_port}"

    @property
    def endpoint_url(self) -> str:
        return self.settings.s3_endpoint_url if self.external and self.settings.s3_endpoint_url else self.local_url

    @property
    def pidfile(self) -> Path:
        return self.settings.state_dir / "run" / "s3.pid"

    @property
    def log_file(self) -> Path:
        return self.settings.state_dir / "logs" / "s3.log"

    @property
    def data_dir(self) -> Path:
        """Where the local endpoint keeps its objects and identities across restarts (s3state.py)."""
        return self.settings.state_dir / "s3"

    @property
    def identities_file(self) -> Path:
        return self.settings.state_dir / "s3-identities.json"

    def identities(self) -> StackIdentities | None:
        """The local endpoint's admin and executor keys; None for an external endpoint or when stopped."""
        if self.external:
            return None
        return StackIdentities.load(self.identities_file)

    def running(self) -> bool:
        pid = read_pid(self.pidfile)
        return pid is not None and pid_alive(pid)

    def start(self) -> None:
        if not self.external and not self.running():
            require_free_port(self.settings.host, self.settings.s3_port, "the S3 endpoint", "CONTROLROOM_S3_PORT")
            self.pidfile.parent.mkdir(parents=True, exist_ok=True)
            self.identities_file.unlink(missing_ok=True)
            start_detached(
                [
                    sys.executable,
                    "-m",
                    "controlroom.localstack.objectserver",
                    "-H",
                    self.settings.host,
                    "-p",
                    str(self.settings.s3_port),
                    "--identities",
                    str(self.identities_file),
                    "--data-dir",
                    str(self.data_dir),
                ],
                pidfile=self.pidfile,
                logfile=self.log_file,
            )
            if not self._wait_for_identities():
                stop_pidfile(self.pidfile)
                raise StackError(
                    f"The local S3 endpoint (moto server with IAM) did not start within {IDENTITIES_WAIT_SECONDS} s.",
                    "Check that the package is installed (`pip install 'moto[server]'`, done by scripts/setup).",
                    log=str(self.log_file),
                )
        self.ensure_bucket()

    def _wait_for_identities(self) -> bool:
        """Listening is not enough: the endpoint serves only after its identities exist (objectserver.py)."""
        deadline = time.monotonic() + IDENTITIES_WAIT_SECONDS
        if not wait_for_port(self.settings.host, self.settings.s3_port, IDENTITIES_WAIT_SECONDS):
            return False
        while time.monotonic() < deadline:
            if self.identities() is not None:
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> bool:
        stopped = stop_pidfile(self.pidfile)
        if not self.external:
            self.identities_file.unlink(missing_ok=True)  # present only while the endpoint runs
        return stopped

    def client(self) -> S3Client:
        """As the stack's admin identity (local endpoint), else boto3's usual credentials."""
        admin = self.identities()
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=LOCAL_REGION,
            aws_access_key_id=admin.admin.access_key_id if admin else None,
            aws_secret_access_key=admin.admin.secret_access_key if admin else None,
            config=Config(retries={"max_attempts": 2}, connect_timeout=3, read_timeout=10),
        )

    def ensure_bucket(self) -> None:
        s3 = self.client()
        try:
            s3.head_bucket(Bucket=self.settings.bucket)
        except ClientError:
            pass
        except BotoCoreError as exc:
            raise StackError(
                f"The S3 endpoint {self.endpoint_url} cannot be reached ({exc}).",
                "Start it, or unset S3_ENDPOINT_URL to use the local endpoint that the stack runs itself.",
            ) from None
        else:
            return
        try:
            self._create_locked_bucket(s3)
        except (ClientError, BotoCoreError) as exc:
            raise StackError(
                f"Could not create the artifacts bucket {self.settings.bucket!r} at {self.endpoint_url} ({exc}).",
                "Create it yourself or set CONTROLROOM_BUCKET to an existing bucket you can write to.",
            ) from None

    def _create_locked_bucket(self, s3: S3Client) -> None:
        """Versioned, with Object Lock enabled: a put over a key adds a version, and the versions that
        the artifact store uploads with a retention (ArtifactStore's `lock`) cannot be changed or
        deleted before it ends. No default retention: Delta tables and other datasets stay ordinary
        versioned objects (vacuum may remove them), and their writers (pyarrow, delta-rs) need no
        lock headers."""
        if self.settings.object_lock_mode == "OFF":
            s3.create_bucket(Bucket=self.settings.bucket)
            s3.put_bucket_versioning(Bucket=self.settings.bucket, VersioningConfiguration={"Status": "Enabled"})
            return
        s3.create_bucket(Bucket=self.settings.bucket, ObjectLockEnabledForBucket=True)  # versioning comes with it

    def healthy(self) -> tuple[bool, str]:
        if not self.external and not self.running():
            return False, "stopped"
        try:
            self.client().head_bucket(Bucket=self.settings.bucket)
        except (ClientError, BotoCoreError) as exc:
            return False, f"bucket {self.settings.bucket} not reachable: {exc}"
        where = "external" if self.external else f"moto, kept in {self.data_dir}"
        return True, f"{where}, bucket {self.settings.bucket}"
