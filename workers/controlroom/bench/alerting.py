"""Alerting: signal → first delivery attempt. A workspace routes run_failed to a webhook receiver in this
process; the alert-dispatch function's local runner (Deno, polling every 250 ms) delivers. Each sample
inserts one signal (as the run-failure trigger does, committed) and waits for its request to arrive."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from controlroom.bench import world as W
from controlroom.bench.scenarios import Config, Results
from controlroom.bench.stats import percentile
from controlroom.localstack.dispatch import ENTRY, deno_argv
from controlroom.localstack.procs import wait_for_port
from controlroom.settings import project_root

HOOK_URL_VARIABLE = "BENCH_ALERT_HOOK_URL"
WAIT_SECONDS = 30.0  # per sample, before it counts as lost


class _Arrivals:
    def __init__(self) -> None:
        self.seen: dict[str, float] = {}  # fingerprint -> perf_counter() of its first request
        self.cond = threading.Condition()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                at = time.perf_counter()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with arrivals.cond:
                    arrivals.seen.setdefault(str(body.get("fingerprint")), at)
                    arrivals.cond.notify_all()
                self.send_response(200)
                self.end_headers()

        return Handler

    def wait(self, fingerprint: str, timeout: float) -> float | None:
        deadline = time.perf_counter() + timeout
        with self.cond:
            while fingerprint not in self.seen:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.seen[fingerprint]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signal_to_delivery(cfg: Config, res: Results) -> None:
    samples = 20 if cfg.quick else 100
    arrivals = _Arrivals()
    server = ThreadingHTTPServer(("127.0.0.1", 0), arrivals.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn = W.connect(cfg.stack.database_url)
    folder = Path(tempfile.mkdtemp(prefix="bench-alerting."))
    (folder / "dispatch.env").write_text(f"{HOOK_URL_VARIABLE}=http://127.0.0.1:{server.server_address[1]}/\n")
    port = _free_port()
    env = {
        **os.environ,
        "SUPABASE_URL": cfg.stack.supabase_url,
        "SUPABASE_SERVICE_ROLE_KEY": cfg.stack.service_role_key,
        "CONTROLROOM_FUNCTIONS_PORT": str(port),
        "CONTROLROOM_DISPATCH_SECRETS_FILE": str(folder / "dispatch.env"),
        "CONTROLROOM_DISPATCHER": "bench",
        "DENO_NO_UPDATE_CHECK": "1",
    }
    log = (folder / "dispatch.log").open("wb")
    proc = subprocess.Popen(
        deno_argv(project_root() / ENTRY), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        if not wait_for_port("127.0.0.1", port, 60):
            raise RuntimeError(f"the dispatcher did not start; see {folder / 'dispatch.log'}")
        slug = f"bench-alerting-{uuid.uuid4().hex[:8]}"
        ws = conn.execute("select id from public.create_workspace(%s, %s)", [slug, slug]).fetchone()
        assert ws is not None
        routes = {
            "targets": {"hook": {"kind": "webhook", "url_secret": HOOK_URL_VARIABLE}},
            "routes": [{"name": "all", "escalation": [{"targets": ["hook"], "after_seconds": 0}]}],
        }
        conn.execute("select public.publish_routes(%s, %s::jsonb)", [ws["id"], json.dumps(routes)])
        for _ in range(cfg.repeat):
            latencies: list[float] = []
            lost = 0
            for _ in range(samples):
                fingerprint = f"bench:{uuid.uuid4()}"
                t0 = time.perf_counter()
                conn.execute(
                    "insert into public.alert_signals (workspace_id, spec_name, pool, signal_type, severity,"
                    " fingerprint, raised_at) values (%s, 'bench', 'default', 'run_failed', 'critical', %s, now())",
                    [ws["id"], fingerprint],
                )
                arrived = arrivals.wait(fingerprint, WAIT_SECONDS)
                if arrived is None:
                    lost += 1
                    if not latencies:
                        raise RuntimeError(f"no delivery arrived; see {folder / 'dispatch.log'}")
                else:
                    latencies.append((arrived - t0) * 1000)
                time.sleep(0.05)
            case = f"{samples} signals, one at a time, local dispatcher polling every 250 ms"
            res.add("alerting", case, "http", "first delivery p50", "ms", percentile(latencies, 50))
            res.add("alerting", case, "http", "first delivery p95", "ms", percentile(latencies, 95))
            res.add("alerting", case, "http", "lost", "", float(lost))
            res.say("alerting", case, "http", ["first delivery p50", "first delivery p95", "lost"])
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        log.close()
        server.shutdown()
        conn.close()
