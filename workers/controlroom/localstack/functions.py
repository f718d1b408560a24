"""The Edge Functions of the local stack: supabase/functions/_runtime/main.ts (the stand-in for the Edge
Runtime's main service) run by Deno from node_modules on 127.0.0.1:CONTROLROOM_EDGE_PORT (default: the
API port + 9). The gateway routes /functions/v1/<name> to it, as Supabase's Kong routes it to the Edge
Runtime (docs/gateway.md, "Edge Functions").

Every folder of supabase/functions/ whose name is a function name (not `_shared`, `_runtime`) and that
has an index.ts is served; `verify_jwt` comes from supabase/config.toml's `[functions.<name>]` (default
true, as the Supabase CLI has it). The functions get what the Edge Runtime gives them (SUPABASE_URL,
SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY) plus the local S3 settings artifact-download reads.
CONTROLROOM_EDGE_RUNTIME=off leaves it out of the stack (then /functions/v1 has no route). It is
independent of the alert dispatcher's own runner (CONTROLROOM_ALERT_DISPATCH).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import httpx

from controlroom.localstack.dispatch import deno_argv, deno_binary
from controlroom.localstack.procs import pid_alive, read_pid, require_free_port, start_service, stop_pidfile
from controlroom.settings import StackSettings, project_root

ENTRY = Path("supabase/functions/_runtime/main.ts")
# What the Supabase CLI accepts as a function name (a folder starting with `_` is shared code).
FUNCTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def served_functions(root: Path) -> dict[str, dict[str, object]]:
    """{name: {"entrypoint": absolute index.ts, "verify_jwt": bool}} of the project at root."""
    folder = root / "supabase" / "functions"
    config_file = root / "supabase" / "config.toml"
    config = tomllib.loads(config_file.read_text()) if config_file.is_file() else {}
    settings = config.get("functions", {})
    served: dict[str, dict[str, object]] = {}
    if not folder.is_dir():
        return served
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and FUNCTION_NAME.match(entry.name) and (entry / "index.ts").is_file():
            own = settings.get(entry.name, {})
            served[entry.name] = {
                "entrypoint": str((entry / "index.ts").resolve()),
                "verify_jwt": bool(own.get("verify_jwt", True)) if isinstance(own, dict) else True,
            }
    return served


@dataclass(frozen=True)
class EdgeRuntime:
    settings: StackSettings

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.edge_port}"

    @property
    def pidfile(self) -> Path:
        return self.settings.state_dir / "run" / "edge-runtime.pid"

    @property
    def log_file(self) -> Path:
        return self.settings.state_dir / "logs" / "edge-runtime.log"

    def enabled(self) -> bool:
        return os.environ.get("CONTROLROOM_EDGE_RUNTIME", "on").lower() not in ("0", "off", "false", "no")

    def available(self) -> bool:
        return (project_root() / ENTRY).is_file() and deno_binary() is not None

    def running(self) -> bool:
        pid = read_pid(self.pidfile)
        return pid is not None and pid_alive(pid)

    def start(self, function_env: dict[str, str], jwt_secret: str) -> None:
        """function_env: what every function sees (SUPABASE_URL, keys, S3 settings)."""
        if self.running() or not self.available() or not self.enabled():
            return
        require_free_port(self.settings.host, self.settings.edge_port, "the Edge Functions", "CONTROLROOM_EDGE_PORT")
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            **function_env,
            "CONTROLROOM_EDGE_PORT": str(self.settings.edge_port),
            "CONTROLROOM_EDGE_FUNCTIONS": json.dumps(served_functions(project_root())),
            "CONTROLROOM_EDGE_JWT_SECRET": jwt_secret,
            "DENO_NO_UPDATE_CHECK": "1",
        }
        start_service(
            deno_argv(project_root() / ENTRY),
            pidfile=self.pidfile,
            logfile=self.log_file,
            env=env,
            host=self.settings.host,
            port=self.settings.edge_port,
            what="The Edge Functions runtime",
            url=self.url,
            hint="Read its log for the cause; `npm ci` installs Deno and @supabase/supabase-js into node_modules.",
            timeout=60,
        )

    def stop(self) -> bool:
        return stop_pidfile(self.pidfile, grace=5.0)

    def healthy(self) -> tuple[bool, str]:
        if not self.enabled():
            return True, "off (CONTROLROOM_EDGE_RUNTIME)"
        if not self.available():
            return False, "not installed (no deno in node_modules/.bin or on PATH)"
        if not self.running():
            return False, "stopped"
        try:
            resp = httpx.get(f"{self.url}/_internal/health", timeout=3)
        except httpx.HTTPError as exc:
            return False, f"not answering: {exc}"
        names = ", ".join(served_functions(project_root())) or "none"
        return resp.status_code == 200, f"{self.url} ({names})"
