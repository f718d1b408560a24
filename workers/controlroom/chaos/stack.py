"""A private local stack for the chaos suite (its own state folder and ports), and its faults."""

from __future__ import annotations

import dataclasses
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from controlroom.localstack.api import DataApi
from controlroom.localstack.postgres import OS_USER, Cluster
from controlroom.localstack.procs import read_pid, wait_for_port
from controlroom.localstack.s3 import ObjectStore
from controlroom.localstack.secrets import StackSecrets
from controlroom.settings import StackSettings


@dataclasses.dataclass(frozen=True)
class Ports:
    pg: int
    api: int
    s3: int
    page: int

    @classmethod
    def from_base(cls, base: int) -> Ports:
        return cls(pg=base + 2, api=base + 1, s3=base + 9, page=base + 3)


class PrivateStack:
    """`controlroom up` on its own state folder and ports; faults act on its processes only."""

    def __init__(self, state_dir: Path, ports: Ports, *, durable: bool = True) -> None:
        self.state_dir = state_dir
        self.ports = ports
        self.durable = durable
        self.env: dict[str, str] = {}

    def _base_env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SUPABASE_", "AWS_", "CONTROLROOM_EXECUTOR_", "CONTROLROOM_STS_", "CONTROLROOM_IAM_"))
            and k not in ("DATABASE_URL", "S3_ENDPOINT_URL", "CONTROLROOM_BUCKET", "CONTROLROOM_PAGE_URL")
        }
        env |= {
            "CONTROLROOM_STATE_DIR": str(self.state_dir),
            "CONTROLROOM_PG_PORT": str(self.ports.pg),
            "CONTROLROOM_API_PORT": str(self.ports.api),
            "CONTROLROOM_S3_PORT": str(self.ports.s3),
            "CONTROLROOM_PAGE_PORT": str(self.ports.page),
            # Durable commits: a crash (pg_ctl -m immediate) must lose nothing that was acknowledged,
            # as in production; the fast setting (synchronous_commit off) loses the last commits.
            # Only tests that never crash Postgres may trade that for a faster start.
            "CONTROLROOM_PG_FAST": "0" if self.durable else "1",
        }
        return env

    def _cli(self, *args: str, env: dict[str, str] | None = None) -> str:
        exe = [sys.executable, "-m", "controlroom.cli"]
        done = subprocess.run(
            [*exe, *args], env=env or self._base_env(), capture_output=True, text=True, check=False, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"controlroom {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def up(self) -> dict[str, str]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o755)
        self._cli("up")
        env = self._base_env()
        for line in self._cli("env").splitlines():
            if line.startswith("export ") and "=" in line:
                name, _, value = line[len("export ") :].partition("=")
                env[name] = _unquote(value)
        self.env = env
        return env

    def down(self) -> None:
        self._cli("down")

    # -- what the faults act on ----------------------------------------------------------------
    def settings(self) -> StackSettings:
        base = StackSettings.from_env()
        return dataclasses.replace(
            base,
            state_dir=self.state_dir.resolve(),
            pg_port=self.ports.pg,
            api_port=self.ports.api,
            s3_port=self.ports.s3,
            page_port=self.ports.page,
            s3_endpoint_url=None,
        )

    def _cluster(self) -> Cluster:
        settings = self.settings()
        return Cluster(settings, StackSecrets.load_or_create(settings.state_dir))

    def _pg_ctl(self, *args: str) -> None:
        cluster = self._cluster()
        argv = [str(cluster.settings.pg_bindir / "pg_ctl"), "-D", str(cluster.data_dir), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", OS_USER, "--", *argv]
        subprocess.run(argv, cwd="/", capture_output=True, check=True, timeout=120)

    def postgres_stop(self, mode: str = "fast") -> None:
        """mode fast: a clean shutdown (sessions ended, checkpoint); immediate: a crash (recovery on start)."""
        self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def postgres_start(self) -> None:
        # pg_ctl itself, not Cluster.start: that rewrites the configuration from this process's
        # environment, which may ask for the fast (non-durable) settings of the test stack.
        self._pg_ctl("-l", str(self._cluster().log_file), "-w", "-t", "60", "start")

    def api_restart(self, down_seconds: float = 0.0) -> None:
        api = DataApi(self._cluster())
        api.stop()
        time.sleep(down_seconds)
        api.start()

    def s3_signal(self, sig: signal.Signals) -> None:
        """SIGSTOP freezes the S3 endpoint (connections hang, as with a stalled store), SIGCONT thaws it.
        Freezing keeps the objects an in-memory store holds; stopping it would not."""
        pid = read_pid(ObjectStore(self.settings()).pidfile)
        if pid is None:
            raise RuntimeError("the private stack's S3 endpoint has no pid file")
        os.killpg(pid, sig)

    def api_listening(self, timeout: float) -> bool:
        return wait_for_port("127.0.0.1", self.ports.api, timeout)


def _unquote(value: str) -> str:
    parts = shlex.split(value)
    return parts[0] if parts else ""
