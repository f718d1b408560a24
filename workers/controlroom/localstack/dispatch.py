"""The alert dispatcher of the local stack: the alert-dispatch Edge Function's own code
(supabase/functions/alert-dispatch/local.ts) run by Deno from node_modules, serving the function on
127.0.0.1:CONTROLROOM_FUNCTIONS_PORT and dispatching every CONTROLROOM_DISPATCH_INTERVAL_MS (250).

Secrets of the targets (the variables a routing file's url_secret / signing_secret name) come from
the environment of `controlroom up`, else from $CONTROLROOM_STATE_DIR/dispatch.env (KEY=VALUE lines,
re-read when it changes). CONTROLROOM_ALERT_DISPATCH=off leaves the dispatcher out of the stack.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx

from controlroom.localstack.procs import pid_alive, read_pid, require_free_port, start_service, stop_pidfile
from controlroom.settings import StackSettings, project_root

ENTRY = Path("supabase/functions/alert-dispatch/local.ts")
SECRETS_FILE = "dispatch.env"  # pragma: allowlist secret (a file name)


def deno_binary() -> str | None:
    """Deno from the pinned npm package (node_modules/.bin), else from PATH."""
    pinned = project_root() / "node_modules" / ".bin" / "deno"
    return str(pinned) if pinned.exists() else shutil.which("deno")


def deno_argv(entry: Path) -> list[str]:
    deno = deno_binary() or "deno"
    return [deno, "run", "--quiet", "--no-prompt", "--allow-net", "--allow-env", "--allow-read", str(entry)]


@dataclass(frozen=True)
class AlertDispatcher:
    settings: StackSettings

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.functions_port}/"

    @property
    def pidfile(self) -> Path:
        return self.settings.state_dir / "run" / "alert-dispatch.pid"

    @property
    def log_file(self) -> Path:
        return self.settings.state_dir / "logs" / "alert-dispatch.log"

    @property
    def secrets_file(self) -> Path:
        return self.settings.state_dir / SECRETS_FILE

    def enabled(self) -> bool:
        return os.environ.get("CONTROLROOM_ALERT_DISPATCH", "on").lower() not in ("0", "off", "false", "no")

    def available(self) -> bool:
        return (project_root() / ENTRY).is_file() and deno_binary() is not None

    def running(self) -> bool:
        pid = read_pid(self.pidfile)
        return pid is not None and pid_alive(pid)

    def start(self, api_url: str, service_role_key: str) -> None:
        if self.running() or not self.available() or not self.enabled():
            return
        require_free_port(
            self.settings.host, self.settings.functions_port, "the alert dispatcher", "CONTROLROOM_FUNCTIONS_PORT"
        )
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "SUPABASE_URL": api_url,
            "SUPABASE_SERVICE_ROLE_KEY": service_role_key,
            "CONTROLROOM_FUNCTIONS_PORT": str(self.settings.functions_port),
            "CONTROLROOM_DISPATCH_SECRETS_FILE": str(self.secrets_file),
            "CONTROLROOM_DISPATCHER": f"local-{self.settings.functions_port}",
            # Deno resolves @supabase/supabase-js from the project's node_modules (package.json pins it).
            "DENO_NO_UPDATE_CHECK": "1",
        }
        start_service(
            deno_argv(project_root() / ENTRY),
            pidfile=self.pidfile,
            logfile=self.log_file,
            env=env,
            host=self.settings.host,
            port=self.settings.functions_port,
            what="The alert dispatcher",
            url=self.url,
            hint="Read its log for the cause; `npm ci` installs Deno and @supabase/supabase-js into node_modules.",
            timeout=60,
        )

    def stop(self) -> bool:
        return stop_pidfile(self.pidfile, grace=15.0)

    def healthy(self) -> tuple[bool, str]:
        if not self.enabled():
            return True, "off (CONTROLROOM_ALERT_DISPATCH)"
        if not self.available():
            return False, "not installed (no deno in node_modules/.bin or on PATH)"
        if not self.running():
            return False, "stopped"
        try:
            # A GET is refused (405) without touching the outbox: proof the function answers.
            resp = httpx.get(self.url, timeout=3)
        except httpx.HTTPError as exc:
            return False, f"not answering: {exc}"
        return resp.status_code == 405, f"{self.url} (every 250 ms)"
