"""Alerting end to end: real runs failing on the real stack, the alert-dispatch function's local runner
(Deno, supabase/functions/alert-dispatch/local.ts) as its own process, and webhook receivers on
loopback that count what reaches them and check each signature.

Every test starts its own dispatcher (so it can set its secrets, its lease and kill it); the stack's
own dispatcher, if it runs, is paused for the tests of this folder and started again after them. The
tests of this folder run in one xdist group, one after the other."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from controlroom.client.control_plane import ControlPlane
from controlroom.localstack.dispatch import ENTRY, deno_argv
from controlroom.localstack.procs import wait_for_port
from controlroom.localstack.stack import LocalStack
from controlroom.settings import project_root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the webhook receiver ------------------------------------------------------------------------


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived
    signature_ok: bool | None  # None: the path has no signing key

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def delivery(self) -> str | None:
        return self.headers.get("x-controlroom-delivery")


# What a path answers: (status, seconds to wait before answering) for the n-th request (1-based).
Behaviour = Callable[[int], tuple[int, float]]


@dataclass
class Receiver:
    port: int
    keys: dict[str, str] = field(default_factory=dict)  # path -> signing key
    behaviour: dict[str, Behaviour] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def of(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]

    def wait_for(self, path: str, count: int, timeout: float) -> list[Hit]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.of(path)) >= count:
                return self.of(path)
            time.sleep(0.02)
        return self.of(path)


def _answer_ok(_n: int) -> tuple[int, float]:
    return 200, 0.0


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.strip("/")
            key = receiver.keys.get(path)
            ok = None
            if key is not None:
                stamp = self.headers.get("X-Controlroom-Timestamp", "")
                mac = hmac.new(key.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= 300
                ok = fresh and hmac.compare_digest(f"sha256={mac}", self.headers.get("X-Controlroom-Signature", ""))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with receiver.lock:
                receiver.hits.append(Hit(path, headers, body, time.monotonic(), ok))
                n = sum(1 for h in receiver.hits if h.path == path)
            status, delay = receiver.behaviour.get(path, _answer_ok)(n)
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver says no")
            except OSError:
                pass  # the dispatcher gave up (timeout) or died

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    rec = Receiver(port=int(server.server_address[1]))
    server.RequestHandlerClass = _handler(rec)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


# -- dispatchers -----------------------------------------------------------------------------------


@dataclass
class Dispatcher:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=20)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Dispatchers:
    secrets_file: Path
    logs: Path
    started: list[Dispatcher] = field(default_factory=list)

    def secret(self, name: str, value: str) -> None:
        """Set a target's secret in the file every dispatcher of this test reads at send time."""
        with self.secrets_file.open("a") as fh:
            fh.write(f"{name}={value}\n")

    def start(self, *, lease_seconds: int = 30, timeout_ms: int = 10_000, interval_ms: int = 250) -> Dispatcher:
        name = f"pytest-{uuid.uuid4().hex[:8]}"
        port = _free_port()
        log = self.logs / f"{name}.log"
        env = {
            **os.environ,
            "CONTROLROOM_FUNCTIONS_PORT": str(port),
            "CONTROLROOM_DISPATCH_SECRETS_FILE": str(self.secrets_file),
            "CONTROLROOM_DISPATCHER": name,
            "CONTROLROOM_DISPATCH_LEASE_SECONDS": str(lease_seconds),
            "CONTROLROOM_DISPATCH_TIMEOUT_MS": str(timeout_ms),
            "CONTROLROOM_DISPATCH_INTERVAL_MS": str(interval_ms),
            "DENO_NO_UPDATE_CHECK": "1",
        }
        with log.open("wb") as out:
            proc = subprocess.Popen(
                deno_argv(project_root() / ENTRY),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        dispatcher = Dispatcher(name, proc, log)
        self.started.append(dispatcher)
        if not wait_for_port("127.0.0.1", port, 60):
            dispatcher.kill()
            pytest.fail(f"the dispatcher did not start:\n{dispatcher.output()}")
        return dispatcher


@pytest.fixture(scope="session")
def stack_dispatcher_paused(api_env: dict[str, str]) -> Iterator[None]:
    """The stack's own dispatcher would take these tests' deliveries: pause it while they run."""
    stack = LocalStack()
    was_running = stack.dispatcher.running()
    if was_running:
        stack.dispatcher.stop()
    yield
    if was_running:
        stack.dispatcher.start(api_env["SUPABASE_URL"], api_env["SUPABASE_SERVICE_ROLE_KEY"])


@pytest.fixture(scope="session")
def dispatch_secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One secrets file for every dispatcher of the session (each test appends its own, uniquely
    named targets): claim_deliveries hands out due deliveries of every workspace, so a dispatcher
    of an earlier test that is still shutting down may send this test's notification, and it must
    then find the target's secret like this test's own dispatcher would."""
    secrets = tmp_path_factory.mktemp("dispatch") / "dispatch.env"
    secrets.write_text("")
    return secrets


@pytest.fixture
def dispatchers(tmp_path: Path, dispatch_secrets: Path, stack_dispatcher_paused: None) -> Iterator[Dispatchers]:
    found = Dispatchers(dispatch_secrets, tmp_path)
    yield found
    for dispatcher in found.started:
        dispatcher.kill(signal.SIGTERM)


# -- waiting on the database -----------------------------------------------------------------------


def eventually(read: Callable[[], Any], until: Callable[[Any], bool], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    value = read()
    while not until(value):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s; last seen {value!r}")
        time.sleep(0.05)
        value = read()
    return value


def alerts_of(plane: ControlPlane, workspace_id: str) -> list[dict[str, Any]]:
    return plane.select("alerts", filters={"workspace_id": f"eq.{workspace_id}"}, order="opened_at")


def deliveries_of(plane: ControlPlane, workspace_id: str) -> list[dict[str, Any]]:
    return plane.select("alert_deliveries", filters={"workspace_id": f"eq.{workspace_id}"}, order="created_at")
