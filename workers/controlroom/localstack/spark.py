"""The embedded Spark Connect server: Sail (`sail spark server`, from the pinned `pysail` wheel), reading
and writing the local S3 endpoint. Started by `controlroom up` when CONTROLROOM_SPARK=1.

Sail takes its S3 endpoint and credentials from its own process environment (the AWS SDK chain; it has
no per-session credentials), so one server sees what its identity may see. Locally that is the stack's
admin identity: a developer's single-tenant engine. Shared executors point each workspace at an engine of
its own instead (CONTROLROOM_SPARK_ENDPOINTS, docs/spark.md).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from controlroom.localstack.errors import StackError
from controlroom.localstack.procs import pid_alive, read_pid, require_free_port, start_service, stop_pidfile
from controlroom.localstack.s3 import LOCAL_REGION, ObjectStore
from controlroom.settings import StackSettings


def sail_binary() -> str | None:
    """`sail` next to this interpreter (the venv's console script), else on PATH."""
    beside = Path(sys.executable).with_name("sail")
    return str(beside) if beside.exists() else shutil.which("sail")


def sail_env(endpoint_url: str, access_key: str | None, secret_key: str | None) -> dict[str, str]:
    """What Sail reads for S3 (docs/guide/storage/s3.md of lakehq/sail): the object_store/AWS variables."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ", "TMPDIR")}
    env |= {
        "AWS_ENDPOINT": endpoint_url,
        "AWS_ALLOW_HTTP": "true" if endpoint_url.startswith("http://") else "false",
        "AWS_REGION": LOCAL_REGION,
        "RUST_LOG": "warn",
    }
    if access_key and secret_key:
        env |= {"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key}
    return env


@dataclass(frozen=True)
class SparkServer:
    settings: StackSettings
    s3: ObjectStore

    @property
    def url(self) -> str:
        return f"sc://{self.settings.host}:{self.settings.spark_port}"

    @property
    def pidfile(self) -> Path:
        return self.settings.state_dir / "run" / "spark.pid"

    @property
    def log_file(self) -> Path:
        return self.settings.state_dir / "logs" / "spark.log"

    def running(self) -> bool:
        pid = read_pid(self.pidfile)
        return pid is not None and pid_alive(pid)

    def start(self) -> None:
        if self.running():
            return
        binary = sail_binary()
        if binary is None:
            raise StackError(
                "CONTROLROOM_SPARK=1 but the `sail` command is not installed.",
                "Install the pinned pysail (scripts/setup does), or unset CONTROLROOM_SPARK.",
            )
        require_free_port(
            self.settings.host, self.settings.spark_port, "the Spark Connect server", "CONTROLROOM_SPARK_PORT"
        )
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        ids = self.s3.identities()
        start_service(
            [binary, "spark", "server", "--ip", self.settings.host, "--port", str(self.settings.spark_port)],
            pidfile=self.pidfile,
            logfile=self.log_file,
            env=sail_env(
                self.s3.endpoint_url,
                ids.admin.access_key_id if ids else None,
                ids.admin.secret_access_key if ids else None,
            ),
            host=self.settings.host,
            port=self.settings.spark_port,
            what="The Spark Connect server (Sail)",
            url=self.url,
            hint="Check its log; or unset CONTROLROOM_SPARK to run the stack without Spark.",
        )

    def stop(self) -> bool:
        return stop_pidfile(self.pidfile)

    def healthy(self) -> tuple[bool, str]:
        if not self.settings.spark:
            return True, "off (CONTROLROOM_SPARK=1 starts Sail)"
        if not self.running():
            return False, "stopped"
        return True, f"sail, {self.url}"
