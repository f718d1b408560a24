"""The S3-compatible endpoint: a loopback moto server, unless S3_ENDPOINT_URL names another one."""

from __future__ import annotations

import sys
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

# moto accepts any credentials; these are the conventional placeholders, not secrets.
LOCAL_ACCESS_KEY = "controlroom-local"
LOCAL_SECRET_KEY = "controlroom-local"  # noqa: S105  # pragma: allowlist secret
LOCAL_REGION = "us-east-1"


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

    def running(self) -> bool:
        pid = read_pid(self.pidfile)
        return pid is not None and pid_alive(pid)

    def start(self) -> None:
        if not self.external and not self.running():
            require_free_port(self.settings.host, self.settings.s3_port, "the S3 endpoint", "CONTROLROOM_S3_PORT")
            self.pidfile.parent.mkdir(parents=True, exist_ok=True)
            start_detached(
                [
                    sys.executable,
                    "-m",
                    "moto.server",
                    "-H",
                    self.settings.host,
                    "-p",
                    str(self.settings.s3_port),
                ],
                pidfile=self.pidfile,
                logfile=self.log_file,
            )
            if not wait_for_port(self.settings.host, self.settings.s3_port, 30):
                stop_pidfile(self.pidfile)
                raise StackError(
                    "The local S3 endpoint (moto server) did not start listening within 30 s.",
                    "Check that the package is installed (`pip install 'moto[server]'`, done by scripts/setup).",
                    log=str(self.log_file),
                )
        self.ensure_bucket()

    def stop(self) -> bool:
        return stop_pidfile(self.pidfile)

    def client(self) -> S3Client:
        local = not self.external
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=LOCAL_REGION,
            aws_access_key_id=LOCAL_ACCESS_KEY if local else None,
            aws_secret_access_key=LOCAL_SECRET_KEY if local else None,
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
        where = "external" if self.external else "moto"
        return True, f"{where}, bucket {self.settings.bucket}"
