"""The local stack as one unit: up, down, status, reset, env."""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from controlroom import keys
from controlroom.localstack.api import DataApi
from controlroom.localstack.dispatch import AlertDispatcher
from controlroom.localstack.errors import StackError
from controlroom.localstack.functions import EdgeRuntime
from controlroom.localstack.migrate import apply_bootstrap, push_migrations
from controlroom.localstack.page import ControlRoomPage
from controlroom.localstack.postgres import Cluster
from controlroom.localstack.procs import port_is_free
from controlroom.localstack.s3 import LOCAL_REGION, ObjectStore
from controlroom.localstack.secrets import StackSecrets
from controlroom.localstack.spark import SparkServer
from controlroom.settings import StackSettings
from controlroom.storage.policies import LOCAL_ROLE_ARN_TEMPLATE

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    healthy: bool
    detail: str


class LocalStack:
    @classmethod
    def running(cls, settings: StackSettings | None = None) -> LocalStack:
        """The stack of this state folder, if it is up; else StackError saying where we looked.

        For commands that print a stack's settings (`controlroom env`): they must never create a
        state folder, nor describe whatever other stack happens to own the ports."""
        settings = settings or StackSettings.from_env()
        where = settings.state_dir
        chosen = (
            "from CONTROLROOM_STATE_DIR"
            if os.environ.get("CONTROLROOM_STATE_DIR")
            else "the default: CONTROLROOM_STATE_DIR is not set"
        )
        fix = (
            "Start it with `controlroom up` in this shell, or point this shell at the folder of the stack "
            "you started: `export CONTROLROOM_STATE_DIR=<that folder>` with the same CONTROLROOM_PG_PORT, "
            "CONTROLROOM_API_PORT and CONTROLROOM_S3_PORT as when it was started, then run this again."
        )
        taken = (
            ""
            if port_is_free(settings.host, settings.api_port)
            else f" Port {settings.api_port} is in use by something else, likely a stack of another state folder."
        )
        if not (where / "secrets.json").exists():
            raise StackError(f"No local stack has been set up in the state folder {where} ({chosen}).{taken}", fix)
        stack = cls(settings)
        if not stack.cluster.running():
            raise StackError(f"The local stack of the state folder {where} ({chosen}) is not up.{taken}", fix)
        port = stack.cluster.listening_port()
        if port is not None and port != settings.pg_port:
            raise StackError(
                f"The local stack of the state folder {where} runs Postgres on port {port}, "
                f"not on CONTROLROOM_PG_PORT={settings.pg_port}.",
                f"Set the ports it was started with (`export CONTROLROOM_PG_PORT={port}` and the API and S3 "
                "ports of that start), then run this again.",
            )
        return stack

    def __init__(self, settings: StackSettings | None = None) -> None:
        self.settings = settings or StackSettings.from_env()
        self.secrets = StackSecrets.load_or_create(self.settings.state_dir)
        self.cluster = Cluster(self.settings, self.secrets)
        self.s3 = ObjectStore(self.settings)
        self.api = DataApi(self.cluster)
        self.page = ControlRoomPage(self.settings)
        self.spark = SparkServer(self.settings, self.s3)
        self.dispatcher = AlertDispatcher(self.settings)
        self.functions = EdgeRuntime(self.settings)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One lifecycle command at a time per state folder (two `up`s racing must not double-start)."""
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.settings.state_dir / "stack.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def up(self, progress: Progress = _quiet) -> None:
        with self._locked():
            if not self.cluster.initialised():
                progress("initialising Postgres cluster")
                self.cluster.init()
            progress("starting Postgres")
            self.cluster.start()
            progress("applying the Supabase compatibility bootstrap")
            apply_bootstrap(self.cluster)
            progress("applying migrations (supabase db push)")
            push_migrations(self.cluster)
            progress("starting the S3 endpoint")
            self.s3.start()
            if self.settings.spark:
                progress("starting the Spark Connect server (Sail)")
                self.spark.start()
            if self.api.available():
                progress("starting the HTTP API")
                self.api.start()
            if self.page.available():
                progress("starting the control room page")
                self.page.start(self.api.url, keys.api_key("anon", self.secrets.jwt_secret, self.secrets.issued_at))
            if self.api.running() and self.functions.available() and self.functions.enabled():
                progress("starting the Edge Functions (supabase/functions, Deno) behind /functions/v1")
                self.functions.start(self.function_environment(), self.secrets.jwt_secret)
            if self.api.running() and self.dispatcher.available() and self.dispatcher.enabled():
                progress("starting the alert dispatcher (supabase/functions/alert-dispatch, Deno)")
                service_key = keys.api_key("service_role", self.secrets.jwt_secret, self.secrets.issued_at)
                self.dispatcher.start(self.api.url, service_key)

    def down(self, progress: Progress = _quiet) -> list[str]:
        stopped: list[str] = []
        with self._locked():
            # First: it calls the API, and SIGTERM lets it record the round in flight.
            if self.dispatcher.stop():
                stopped.append("alert-dispatch")
            if self.functions.stop():
                stopped.append("edge-functions")
            if self.page.stop():
                stopped.append("page")
            if self.api.stop():
                stopped.append("api")
            # Whatever CONTROLROOM_SPARK says now: a server started earlier is stopped too.
            if self.spark.stop():
                stopped.append("spark")
            if self.s3.stop():
                stopped.append("s3")
            if self.cluster.stop():
                stopped.append("postgres")
        for name in stopped:
            progress(f"stopped {name}")
        return stopped

    def reset(self, progress: Progress = _quiet) -> None:
        self.down(progress)
        with self._locked():
            progress("removing the database cluster and the local S3 data")
            self.cluster.destroy()
            shutil.rmtree(self.s3.data_dir, ignore_errors=True)  # objects of runs that no longer exist
            shutil.rmtree(self.settings.state_dir / "run", ignore_errors=True)
        self.up(progress)

    def status(self) -> list[ComponentStatus]:
        out = []
        for name, probe in (
            ("postgres", self.cluster.healthy),
            ("api", self.api.healthy),
            ("s3", self.s3.healthy),
            ("page", self.page.healthy),
            ("spark", self.spark.healthy),
            ("alert-dispatch", self.dispatcher.healthy),
            ("edge-functions", self.functions.healthy),
        ):
            ok, detail = probe()
            out.append(ComponentStatus(name, ok, detail))
        return out

    def function_environment(self) -> dict[str, str]:
        """What the Edge Runtime gives every function (SUPABASE_URL and the API keys), plus the settings
        artifact-download reads: the local S3 endpoint and, as its read credentials, the stack's admin
        identity (hosted: a key that may only read the bucket; docs/control-room.md, "Full log")."""
        sec = self.secrets
        env = {
            "SUPABASE_URL": self.api.url,
            "SUPABASE_ANON_KEY": keys.api_key("anon", sec.jwt_secret, sec.issued_at),
            "SUPABASE_SERVICE_ROLE_KEY": keys.api_key("service_role", sec.jwt_secret, sec.issued_at),
            "S3_ENDPOINT_URL": self.s3.endpoint_url,
            "CONTROLROOM_BUCKET": self.settings.bucket,
            "AWS_REGION": LOCAL_REGION,
        }
        identities = self.s3.identities()
        if identities is not None:
            env["AWS_ACCESS_KEY_ID"] = identities.admin.access_key_id
            env["AWS_SECRET_ACCESS_KEY"] = identities.admin.secret_access_key
        return env

    def environment(self) -> dict[str, str]:
        s, sec = self.settings, self.secrets
        env = {
            "DATABASE_URL": self.cluster.url(),
            "SUPABASE_URL": self.api.url,
            "SUPABASE_ANON_KEY": keys.api_key("anon", sec.jwt_secret, sec.issued_at),
            "SUPABASE_SERVICE_ROLE_KEY": keys.api_key("service_role", sec.jwt_secret, sec.issued_at),
            "SUPABASE_JWT_SECRET": sec.jwt_secret,
            "S3_ENDPOINT_URL": self.s3.endpoint_url,
            "CONTROLROOM_BUCKET": s.bucket,
            "CONTROLROOM_STATE_DIR": str(s.state_dir),
            "CONTROLROOM_PG_PORT": str(s.pg_port),
            "CONTROLROOM_API_PORT": str(s.api_port),
            "CONTROLROOM_S3_PORT": str(s.s3_port),
            "CONTROLROOM_PAGE_URL": self.page.url,
            "CONTROLROOM_FUNCTIONS_URL": self.dispatcher.url,
            "CONTROLROOM_EDGE_URL": self.functions.url,
        }
        if s.spark:
            env["CONTROLROOM_SPARK_ENDPOINTS"] = f"default={self.spark.url}"
        identities = self.s3.identities()
        if identities is not None:
            env |= {
                # The stack's admin identity, for operators' tools (artifacts verify, the reports, boto3).
                "AWS_ACCESS_KEY_ID": identities.admin.access_key_id,
                "AWS_SECRET_ACCESS_KEY": identities.admin.secret_access_key,
                "AWS_REGION": LOCAL_REGION,
                # What an executor uses: an identity that may only assume the workspace roles, and the
                # role per workspace; the phases get nothing but the role's session (README,
                # "Tenant-scoped storage").
                "CONTROLROOM_EXECUTOR_AWS_ACCESS_KEY_ID": identities.executor.access_key_id,
                "CONTROLROOM_EXECUTOR_AWS_SECRET_ACCESS_KEY": identities.executor.secret_access_key,
                "CONTROLROOM_EXECUTOR_PRINCIPAL_ARN": identities.executor.arn,
                "CONTROLROOM_WORKSPACE_ROLE_ARN": LOCAL_ROLE_ARN_TEMPLATE,
                "CONTROLROOM_STS_ENDPOINT_URL": self.s3.endpoint_url,
                "CONTROLROOM_IAM_ENDPOINT_URL": self.s3.endpoint_url,
                # Local conveniences: a workspace gets its role on its first run (with the admin
                # identity above), and a missing role is reported as such (moto's STS, unlike AWS,
                # vends credentials for roles that do not exist).
                "CONTROLROOM_STORAGE_AUTO_PROVISION": "1",
                "CONTROLROOM_STORAGE_VERIFY_ROLE": "1",
            }
        return env

    def export_lines(self) -> str:
        return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in self.environment().items())
