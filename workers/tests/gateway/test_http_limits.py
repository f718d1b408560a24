"""The stand-in's HTTP server cannot be exhausted by a client without a valid apikey: raw-socket attacks.

Each test is named for the attack. They run against a private gateway process (one worker, short
timeouts, a small connection cap, default size limits) so they can measure its memory and wait
for its timeouts; they skip against another PostgREST (CONTROLROOM_CONTRACT_URL).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from controlroom.localstack.stack import LocalStack

TIMEOUT = 1.0  # the private gateway's head, body and idle timeouts, seconds
MAX_CONNECTIONS = 20
HUGE = 200_000_000  # the 200 MB body of the report


@dataclass(frozen=True)
class Server:
    port: int
    pid: int
    anon_key: str

    def connect(self, timeout: float = 10.0) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if os.environ.get("CONTROLROOM_CONTRACT_URL"):
        pytest.skip("limits of the stand-in's own HTTP server")
    port = _free_port()
    env = {
        **os.environ,
        **LocalStack().api.environment(),
        "PGRST_SERVER_PORT": str(port),
        "CONTROLROOM_API_WORKERS": "1",
        "CONTROLROOM_API_HEADER_TIMEOUT_SECONDS": str(TIMEOUT),
        "CONTROLROOM_API_BODY_TIMEOUT_SECONDS": str(TIMEOUT),
        "CONTROLROOM_API_IDLE_TIMEOUT_SECONDS": str(TIMEOUT),
        "CONTROLROOM_API_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "controlroom.gateway"], env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the private gateway did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield Server(port, proc.pid, env["CONTROLROOM_ANON_KEY"])
    finally:
        proc.terminate()
        proc.wait(10)


def read_response(sock: socket.socket, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """One response (status, headers, body); fails when none arrives within `timeout`."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"no response within {timeout} s (got {data[:200]!r})")
        if not chunk:
            pytest.fail(f"connection closed without a response (got {data[:200]!r})")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body[:length]


def closed(sock: socket.socket, within: float) -> bool:
    """True when the server closes the connection (EOF or reset) within `within` seconds."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


def send_all_ignoring_close(sock: socket.socket, data: bytes | Iterator[bytes]) -> None:
    """Send like an attacker that does not listen: stop quietly when the server hangs up."""
    with contextlib.suppress(OSError):
        for part in [data] if isinstance(data, bytes) else data:
            sock.sendall(part)


def test_huge_content_length_without_apikey_gets_413_before_the_body_is_sent(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(f"POST /rest/v1/rpc/add HTTP/1.1\r\nHost: x\r\nContent-Length: {HUGE}\r\n\r\n".encode())
        status, _, body = read_response(sock)  # not a byte of the body was sent
    assert status == 413
    assert orjson.loads(body)["code"] == "PT413"


def test_body_over_the_limit_with_a_valid_apikey_gets_413_before_it_is_sent(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(
            f"POST /rest/v1/rpc/add HTTP/1.1\r\nHost: x\r\napikey: {server.anon_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {17 * 1024 * 1024}\r\n\r\n".encode()
        )
        status, _, _ = read_response(sock)
    assert status == 413


def test_request_without_apikey_is_refused_before_its_body_is_sent(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(b"POST /rest/v1/rpc/add HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        status, _, body = read_response(sock)
    assert status == 401
    assert orjson.loads(body) == {"message": "No API key found in request"}


def test_chunked_body_is_cut_off_at_the_limit_while_it_streams(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        piece = b"x" * (1024 * 1024)
        for _ in range(24):  # 24 MiB, above the 16 MiB default
            yield b"%x\r\n%s\r\n" % (len(piece), piece)
        yield b"0\r\n\r\n"

    with server.connect() as sock:
        sock.sendall(
            f"POST /rest/v1/rpc/add HTTP/1.1\r\nHost: x\r\napikey: {server.anon_key}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        send_all_ignoring_close(sock, chunks())
        status, _, body = read_response(sock)
    assert status == 413
    assert orjson.loads(body)["code"] == "PT413"


def test_8mb_header_gets_431(server: Server) -> None:
    with server.connect() as sock:
        send_all_ignoring_close(sock, b"GET /rest/v1/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (8 << 20) + b"\r\n\r\n")
        status, _, body = read_response(sock)
    assert status == 431
    assert orjson.loads(body)["code"] == "PT431"


def test_20000_headers_get_431(server: Server) -> None:
    head = b"GET /rest/v1/ HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(20_000))
    with server.connect() as sock:
        send_all_ignoring_close(sock, head + b"\r\n")
        status, _, _ = read_response(sock)
    assert status == 431


def test_101_small_headers_get_431(server: Server) -> None:
    # Well under the byte limit: the count limit (100) refuses it.
    head = b"GET /rest/v1/ HTTP/1.1\r\nHost: x\r\n" + b"".join(b"h%d: v\r\n" % i for i in range(101))
    with server.connect() as sock:
        sock.sendall(head + b"\r\n")
        status, _, _ = read_response(sock)
    assert status == 431


def test_slow_header_client_is_cut_off_after_the_header_timeout(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /rest/v1/ HTTP/1.1\r\n")
        started = time.monotonic()
        answer = b""
        sock.settimeout(0.2)
        with contextlib.suppress(OSError):
            while time.monotonic() - started < 5 * TIMEOUT:
                sock.sendall(b"X")  # one byte of a header line now and then, never the end of the head
                with contextlib.suppress(TimeoutError):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert elapsed < 3 * TIMEOUT


def test_slow_body_client_is_cut_off_after_the_body_timeout(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(
            f"POST /rest/v1/rpc/add HTTP/1.1\r\nHost: x\r\napikey: {server.anon_key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode()
        )
        status, _, _ = read_response(sock, timeout=5 * TIMEOUT)
    assert status == 408


def test_silent_connection_is_closed_after_the_header_timeout(server: Server) -> None:
    with server.connect() as sock:
        assert closed(sock, within=5 * TIMEOUT)


def test_idle_keep_alive_connection_is_closed_after_the_idle_timeout(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(f"GET /rest/v1/ HTTP/1.1\r\nHost: x\r\napikey: {server.anon_key}\r\n\r\n".encode())
        status, headers, _ = read_response(sock)
        assert status == 400  # PGRST127: no OpenAPI document; the connection stays open
        assert "connection" not in headers
        assert closed(sock, within=5 * TIMEOUT)


def test_pipelined_requests_on_one_connection_are_all_answered(server: Server) -> None:
    request = f"GET /rest/v1/ HTTP/1.1\r\nHost: x\r\napikey: {server.anon_key}\r\n\r\n".encode()
    with server.connect() as sock:
        sock.sendall(request * 3)
        sock.settimeout(5)
        data = b""
        while data.count(b"HTTP/1.1 ") < 3:
            chunk = sock.recv(65536)
            assert chunk, f"closed after {data!r}"
            data += chunk
    assert data.count(b"HTTP/1.1 400 Bad Request\r\n") == 3


def test_connections_beyond_the_cap_are_closed_at_once(server: Server) -> None:
    held = [server.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        for sock in held:  # each has begun a request, so each is surely accepted and counted
            sock.sendall(b"GET /rest/v1/ HTTP/1.1\r\n")
        time.sleep(0.2)
        with server.connect() as extra:
            assert closed(extra, within=TIMEOUT / 2)
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    with server.connect() as again:  # closed connections free their place
        again.sendall(f"GET /rest/v1/ HTTP/1.1\r\nHost: x\r\napikey: {server.anon_key}\r\n\r\n".encode())
        assert read_response(again)[0] == 400


def test_memory_stays_bounded_under_oversized_requests_without_apikey(server: Server) -> None:
    before = server.rss()

    def attack() -> None:
        with server.connect() as sock:
            sock.sendall(f"POST /rest/v1/rpc/add HTTP/1.1\r\nHost: x\r\nContent-Length: {HUGE}\r\n\r\n".encode())
            piece = b"x" * (1 << 20)
            send_all_ignoring_close(sock, (piece for _ in range(HUGE >> 20)))

    threads = [threading.Thread(target=attack) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for head in (
        b"GET /rest/v1/ HTTP/1.1\r\nX-Big: " + b"a" * (8 << 20) + b"\r\n\r\n",
        b"GET /rest/v1/ HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(20_000)) + b"\r\n",
    ):
        with server.connect() as sock:
            send_all_ignoring_close(sock, head)
            read_response(sock)
    after = server.rss()
    print(f"gateway RSS before {before / 2**20:.1f} MiB, after {after / 2**20:.1f} MiB")
    assert after - before < 32 * 2**20, f"RSS grew from {before / 2**20:.1f} MiB to {after / 2**20:.1f} MiB"
