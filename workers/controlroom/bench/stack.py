"""A throwaway local stack on its own ports and state folder, started and stopped by the benchmark."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from controlroom.settings import project_root

ROOT = project_root()
CONTROLROOM = ROOT / ".venv" / "bin" / "controlroom"


@dataclass(frozen=True)
class StackEnv:
    """What clients need to reach the stack (picklable: handed to worker processes)."""

    database_url: str
    supabase_url: str
    anon_key: str
    jwt_secret: str
    service_role_key: str = ""  # the stack's own (its API gateway accepts exactly its two keys)
    state_dir: str = ""  # where the stack keeps its pid files (CPU figures of the API)
    # Everything `controlroom env` exported: what a real `controlroom worker` needs (S3, IAM, keys).
    exports: dict[str, str] = field(default_factory=dict)


class BenchStack:
    def __init__(self, pg_port: int, api_port: int, s3_port: int, keep: bool = False) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="bench.", dir="/tmp"))
        self.state.chmod(0o755)
        self.keep = keep
        self.env = {
            **os.environ,
            "CONTROLROOM_STATE_DIR": str(self.state),
            "CONTROLROOM_PG_PORT": str(pg_port),
            "CONTROLROOM_API_PORT": str(api_port),
            "CONTROLROOM_S3_PORT": str(s3_port),
        }
        # Benchmarks run with durability on: never the test-only fast mode.
        self.env.pop("CONTROLROOM_PG_FAST", None)
        self.env.pop("S3_ENDPOINT_URL", None)
        # The alerting scenario runs its own dispatcher; the stack's would only add load to the others.
        self.env["CONTROLROOM_ALERT_DISPATCH"] = "off"
        # No scenario calls an Edge Function: the runtime would be one more process beside the measured ones.
        self.env["CONTROLROOM_EDGE_RUNTIME"] = "off"
        self.started = False

    def _controlroom(self, *args: str) -> str:
        proc = subprocess.run([str(CONTROLROOM), *args], env=self.env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"controlroom {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
        return proc.stdout

    def up(self) -> StackEnv:
        self.started = True
        self._controlroom("up")
        exported = {k: v.strip("'") for k, v in re.findall(r"export (\w+)=(.*)", self._controlroom("env"))}
        stack = StackEnv(
            database_url=exported["DATABASE_URL"],
            supabase_url=exported["SUPABASE_URL"],
            anon_key=exported["SUPABASE_ANON_KEY"],
            jwt_secret=exported["SUPABASE_JWT_SECRET"],
            service_role_key=exported["SUPABASE_SERVICE_ROLE_KEY"],
            state_dir=str(self.state),
            exports=exported,
        )
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            fsync = conn.execute("show fsync").fetchone()
            if not fsync or fsync[0] != "on":
                raise RuntimeError("the benchmark stack must run with fsync on (unset CONTROLROOM_PG_FAST)")
        return stack

    def down(self) -> None:
        if self.started:
            subprocess.run([str(CONTROLROOM), "down"], env=self.env, capture_output=True, check=False)
        if not self.keep:
            shutil.rmtree(self.state, ignore_errors=True)


def machine(database_url: str) -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "select current_setting('server_version'), current_setting('shared_buffers'), "
            "current_setting('synchronous_commit'), current_setting('wal_sync_method')"
        ).fetchone()
    assert row is not None
    import postgrest
    import supabase

    return {
        "cpu": f"{os.cpu_count()} × {cpu}",
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "postgres": str(row[0]),
        "postgres_settings": f"fsync=on, synchronous_commit={row[2]}, wal_sync_method={row[3]}, "
        f"shared_buffers={row[1]}",
        "psycopg": psycopg.__version__,
        "supabase_py": getattr(supabase, "__version__", "?"),
        "postgrest_py": getattr(postgrest, "__version__", "?"),
        "gateway": "controlroom.gateway (PostgREST-compatible, asyncpg pool of 10)",
    }


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
