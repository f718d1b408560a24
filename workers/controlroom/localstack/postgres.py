"""The local Postgres 15 cluster: initdb, configuration (pg_cron, pgTAP), start, stop, health.

Postgres refuses to run as root, so when the stack is started as root the cluster runs as the
`postgres` OS user (created by the Debian package). Its data dir lives inside the state folder
when that user can reach it; otherwise (a checkout under /root, say) under
/var/lib/controlroom/<hash of the state folder>, recorded in the state folder so every command
finds the same cluster.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from controlroom.localstack.errors import StackError
from controlroom.localstack.procs import require_free_port
from controlroom.localstack.secrets import StackSecrets
from controlroom.settings import StackSettings

OS_USER = "postgres"
SUPERUSER = "postgres"


def _is_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class Cluster:
    settings: StackSettings
    secrets: StackSecrets

    # -- locations -----------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        marker = self.settings.state_dir / "postgres.location"
        if marker.exists():
            return Path(marker.read_text().strip())
        inside = self.settings.state_dir / "postgres"
        if not _is_root() or self._reachable_by_os_user(self.settings.state_dir):
            return inside
        digest = hashlib.sha256(str(self.settings.state_dir).encode()).hexdigest()[:16]
        return Path("/var/lib/controlroom") / digest

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    def url(self, user: str = SUPERUSER, password: str | None = None) -> str:
        pw = self.secrets.db_password if password is None else password
        s = self.settings
        return f"postgresql://{user}:{pw}@{s.host}:{s.pg_port}/{s.db_name}"

    # -- commands ------------------------------------------------------------------------------
    def _bin(self, name: str) -> str:
        path = self.settings.pg_bindir / name
        if not path.exists():
            raise StackError(
                f"The PostgreSQL 15 program {name} was not found in {self.settings.pg_bindir}.",
                "Run scripts/setup (it installs postgresql-15, postgresql-15-cron and postgresql-15-pgtap), "
                "or point CONTROLROOM_PG_BINDIR at the bin folder of a PostgreSQL 15 installation.",
            )
        return str(path)

    def _reachable_by_os_user(self, path: Path) -> bool:
        if shutil.which("runuser") is None:
            return False
        probe = subprocess.run(["runuser", "-u", OS_USER, "--", "test", "-x", str(path)], cwd="/", check=False)
        return probe.returncode == 0

    def _run(self, argv: list[str], *, what: str, fix: str) -> subprocess.CompletedProcess[str]:
        if _is_root():
            try:
                pwd.getpwnam(OS_USER)
            except KeyError:
                raise StackError(
                    f"Postgres cannot run as root and the OS user '{OS_USER}' does not exist.",
                    "Run scripts/setup, which installs postgresql-15 and with it that user.",
                ) from None
            argv = ["runuser", "-u", OS_USER, "--", *argv]
        proc = subprocess.run(argv, cwd="/", capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise StackError(f"{what} ({' / '.join(tail)}).", fix, log=str(self.log_file))
        return proc

    def _chown(self, path: Path) -> None:
        if _is_root():
            entry = pwd.getpwnam(OS_USER)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    # -- lifecycle -----------------------------------------------------------------------------
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        home = self.home
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        (self.settings.state_dir / "postgres.location").write_text(f"{home}\n")
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.socket_dir.mkdir(exist_ok=True, mode=0o700)
        pwfile = home / "initdb.pw"
        pwfile.write_text(self.secrets.db_password + "\n")
        for p in (home, self.socket_dir, pwfile):
            self._chown(p)
        try:
            self._run(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    f"--pwfile={pwfile}",
                ],
                what="initdb could not create the local Postgres cluster",
                fix=f"Check free disk space and permissions on {home}, then run `controlroom reset`.",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\n# Lakehouse Control Room local stack\ninclude = 'controlroom.conf'\n")

    def write_config(self) -> None:
        s = self.settings
        fast = os.environ.get("CONTROLROOM_PG_FAST") == "1"
        lines = [
            f"listen_addresses = '{s.host}'",
            f"port = {s.pg_port}",
            f"unix_socket_directories = '{self.socket_dir}'",
            "max_connections = 300",
            "shared_preload_libraries = 'pg_cron,pg_stat_statements'",
            f"cron.database_name = '{s.db_name}'",
            # Background workers run jobs without a libpq login, so no password juggling.
            "cron.use_background_workers = on",
            "max_worker_processes = 32",
            "shared_buffers = '256MB'",
            "log_min_messages = warning",
            "log_line_prefix = '%m [%p] %q%u@%d '",
        ]
        if fast:
            # Throwaway test clusters only: durability traded for speed. Benchmarks never set this.
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        path = self.data_dir / "controlroom.conf"
        path.write_text("\n".join(lines) + "\n")
        self._chown(path)

    def running(self) -> bool:
        if not self.initialised():
            return False
        argv = [self._bin("pg_ctl"), "-D", str(self.data_dir), "status"]
        if _is_root():
            argv = ["runuser", "-u", OS_USER, "--", *argv]
        return subprocess.run(argv, cwd="/", capture_output=True, check=False).returncode == 0

    def listening_port(self) -> int | None:
        """The port the running server took (line 4 of postmaster.pid); None when unknown."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            return int(lines[3])
        except (OSError, IndexError, ValueError):
            return None

    def start(self) -> None:
        if self.running():
            return
        require_free_port(self.settings.host, self.settings.pg_port, "Postgres", "CONTROLROOM_PG_PORT")
        self.write_config()
        self._run(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "start",
            ],
            what="Postgres did not start",
            fix="Read the end of the server log; a wrong setting or a full disk are the usual causes. "
            "`controlroom reset` rebuilds the cluster from scratch.",
        )

    def stop(self) -> bool:
        if not self.running():
            return False
        self._run(
            [self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop"],
            what="Postgres did not stop",
            fix=f"Stop it by hand with `pg_ctl -D {self.data_dir} stop -m immediate`.",
        )
        return True

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
        (self.settings.state_dir / "postgres.location").unlink(missing_ok=True)

    def healthy(self) -> tuple[bool, str]:
        if not self.running():
            return False, "stopped"
        try:
            with psycopg.connect(self.url(), connect_timeout=3) as conn:
                version = conn.execute("show server_version").fetchone()
        except psycopg.Error as exc:
            return False, f"running but not answering: {exc}".strip()
        return True, f"PostgreSQL {version[0] if version else '?'}"
