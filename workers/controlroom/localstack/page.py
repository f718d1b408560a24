"""The control room page on :54323 (CONTROLROOM_PAGE_PORT), a static server beside the Data API."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from controlroom.localstack.procs import (
    pid_alive,
    read_pid,
    require_free_port,
    start_service,
    stop_pidfile,
)
from controlroom.settings import StackSettings, project_root

PAGE_MODULE = "controlroom.page"


@dataclass(frozen=True)
class ControlRoomPage:
    settings: StackSettings

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.page_port}/"

    @property
    def pidfile(self) -> Path:
        return self.settings.state_dir / "run" / "page.pid"

    @property
    def log_file(self) -> Path:
        return self.settings.state_dir / "logs" / "page.log"

    def available(self) -> bool:
        return (project_root() / "web" / "index.html").is_file()

    def running(self) -> bool:
        pid = read_pid(self.pidfile)
        return pid is not None and pid_alive(pid)

    def start(self, api_url: str, anon_key: str) -> None:
        if self.running() or not self.available():
            return
        require_free_port(self.settings.host, self.settings.page_port, "the control room page", "CONTROLROOM_PAGE_PORT")
        env = {
            **os.environ,
            "CONTROLROOM_PAGE_HOST": self.settings.host,
            "CONTROLROOM_PAGE_PORT": str(self.settings.page_port),
            "CONTROLROOM_PROJECT_DIR": str(project_root()),
            "SUPABASE_URL": api_url,
            "SUPABASE_ANON_KEY": anon_key,
        }
        start_service(
            [sys.executable, "-m", PAGE_MODULE],
            pidfile=self.pidfile,
            logfile=self.log_file,
            env=env,
            host=self.settings.host,
            port=self.settings.page_port,
            what="The control room page",
            url=self.url,
            hint="Read its log for the cause.",
        )

    def stop(self) -> bool:
        return stop_pidfile(self.pidfile)

    def healthy(self) -> tuple[bool, str]:
        if not self.available():
            return False, "not installed (no web/index.html)"
        if not self.running():
            return False, "stopped"
        try:
            resp = httpx.get(self.url, timeout=3)
        except httpx.HTTPError as exc:
            return False, f"not answering: {exc}"
        return resp.status_code == 200, self.url
