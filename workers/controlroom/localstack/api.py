"""The HTTP Data API on :54321 (`/rest/v1/`): the seam where the gateway plugs into the stack.

Configuration is handed over in PostgREST's own environment variables (PGRST_*), so the same
settings drive the real `postgrest` binary and the project's PostgREST-compatible gateway.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from controlroom import keys
from controlroom.localstack.functions import EdgeRuntime
from controlroom.localstack.postgres import Cluster
from controlroom.localstack.procs import (
    pid_alive,
    read_pid,
    require_free_port,
    start_service,
    stop_pidfile,
)
from controlroom.settings import StackSettings

GATEWAY_MODULE = "controlroom.gateway"


@dataclass(frozen=True)
class DataApi:
    cluster: Cluster

    @property
    def settings(self) -> StackSettings:
        return self.cluster.settings

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.api_port}"

    @property
    def pidfile(self) -> Path:
        return self.settings.state_dir / "run" / "api.pid"

    @property
    def log_file(self) -> Path:
        return self.settings.state_dir / "logs" / "api.log"

    def available(self) -> bool:
        return importlib.util.find_spec(GATEWAY_MODULE) is not None or shutil.which("postgrest") is not None

    def environment(self) -> dict[str, str]:
        secrets = self.cluster.secrets
        env = {
            "PGRST_DB_URI": self.cluster.url("authenticator", secrets.authenticator_password),
            "PGRST_DB_SCHEMAS": "public",
            "PGRST_DB_ANON_ROLE": "anon",
            "PGRST_DB_EXTRA_SEARCH_PATH": "public,extensions",
            "PGRST_DB_MAX_ROWS": "1000",
            "PGRST_DB_CHANNEL_ENABLED": "true",
            "PGRST_JWT_SECRET": secrets.jwt_secret,
            "PGRST_SERVER_HOST": self.settings.host,
            "PGRST_SERVER_PORT": str(self.settings.api_port),
            # Kong's key-auth in front of PostgREST accepts exactly these two API keys.
            "CONTROLROOM_ANON_KEY": keys.api_key("anon", secrets.jwt_secret, secrets.issued_at),
            "CONTROLROOM_SERVICE_ROLE_KEY": keys.api_key("service_role", secrets.jwt_secret, secrets.issued_at),
        }
        edge = EdgeRuntime(self.settings)
        if edge.enabled():
            # Kong's /functions/v1/ route: the stack's Edge Functions runtime (localstack/functions.py).
            env["CONTROLROOM_EDGE_RUNTIME_URL"] = edge.url
        return env

    def running(self) -> bool:
        pid = read_pid(self.pidfile)
        return pid is not None and pid_alive(pid)

    def start(self) -> None:
        if self.running() or not self.available():
            return
        require_free_port(self.settings.host, self.settings.api_port, "the HTTP API", "CONTROLROOM_API_PORT")
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.environment()}
        start_service(
            [sys.executable, "-m", GATEWAY_MODULE],
            pidfile=self.pidfile,
            logfile=self.log_file,
            env=env,
            host=self.settings.host,
            port=self.settings.api_port,
            what="The HTTP API",
            url=self.url,
            hint="Read its log for the cause; a wrong database password is fixed by `controlroom reset`.",
        )

    def stop(self) -> bool:
        return stop_pidfile(self.pidfile)

    def healthy(self) -> tuple[bool, str]:
        if not self.available():
            return False, "not installed (no gateway module and no postgrest binary)"
        if not self.running():
            return False, "stopped"
        try:
            resp = httpx.get(
                f"{self.url}/rest/v1/",
                timeout=3,
                headers={"apikey": self.environment()["CONTROLROOM_ANON_KEY"]},
            )
        except httpx.HTTPError as exc:
            return False, f"not answering: {exc}"
        return resp.status_code < 500, f"{self.url}/rest/v1/ ({resp.headers.get('server', '?')})"
