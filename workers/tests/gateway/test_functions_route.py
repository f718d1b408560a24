"""Kong's /functions/v1/ route in the gateway (gateway/functions.py), as Supabase's API gateway routes it
to the Edge Runtime: prefix stripped, method, headers, body and status passed through both ways, no
apikey asked for, the function's own CORS (not PostgREST's), Kong's 404/502 of its own.

The first tests run the gateway's real request path (Gateway.screen and Gateway.handle on the project's
HTTP server) in-process in front of an upstream that answers with what it received — a stand-in for
the Edge Runtime, no database involved. The last ones go through the local stack: its gateway, its Edge
Functions runtime (supabase/functions/_runtime/main.ts) and the artifact-download function."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from controlroom import keys
from controlroom.gateway import cors, db, functions
from controlroom.gateway.app import Gateway
from controlroom.gateway.config import GatewayConfig
from controlroom.gateway.http import Request, Response, serve
from controlroom.gateway.logs import RequestLog

ANON = "test-anon-key"


async def echo(request: Request) -> Response:
    """The upstream: what it received, as JSON; status and a header chosen by the request."""
    seen = {
        "method": request.method,
        "target": request.target,
        "headers": request.headers,
        "body": request.body.decode("latin-1"),
    }
    status = int(request.headers.get("x-answer-status", "200"))
    extra = [("X-Echo", "yes"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    if request.method == "OPTIONS":
        extra.append(("Access-Control-Allow-Methods", "GET, OPTIONS"))
    return Response(status, json.dumps(seen).encode(), extra, "application/json")


@dataclass
class Servers:
    url: str  # the gateway
    upstream: str
    run: Callable[[Coroutine[Any, Any, Any]], Any]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _gateway(upstream: str | None) -> Gateway:
    config = GatewayConfig.from_env(
        {"PGRST_DB_URI": "postgresql://authenticator@127.0.0.1:1/none", "CONTROLROOM_ANON_KEY": ANON}
    )
    return Gateway(config, db.Pool(config.db_uri, 1), RequestLog(), functions.FunctionsRoute(upstream))


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(10)

    up_port, gw_port = _free_port(), _free_port()
    upstream = f"http://127.0.0.1:{up_port}"

    async def start() -> list[asyncio.Server]:
        gateway = _gateway(upstream)
        return [
            await serve(echo, "127.0.0.1", up_port),
            await serve(gateway.handle, "127.0.0.1", gw_port, screen=gateway.screen),
        ]

    started = run(start())
    yield Servers(f"http://127.0.0.1:{gw_port}", upstream, run)

    async def stop() -> None:
        for server in started:
            server.close()

    run(stop())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_a_request_reaches_the_function_with_the_prefix_stripped_and_without_an_apikey(servers: Servers) -> None:
    resp = httpx.get(
        f"{servers.url}/functions/v1/artifact-download/sub/path?artifact_id=a%20b&x=1",
        headers={"Authorization": "Bearer user-token", "X-Custom": "kept", "Range": "bytes=-10"},
    )
    assert resp.status_code == 200
    seen = resp.json()
    assert seen["method"] == "GET"
    assert seen["target"] == "/artifact-download/sub/path?artifact_id=a%20b&x=1"
    assert seen["headers"]["authorization"] == "Bearer user-token"
    assert seen["headers"]["x-custom"] == "kept"
    assert seen["headers"]["range"] == "bytes=-10"
    assert "apikey" not in seen["headers"]
    assert resp.headers["x-echo"] == "yes"
    assert resp.headers.get_list("set-cookie") == ["a=1", "b=2"]


def test_only_what_the_caller_sent_goes_upstream(servers: Servers) -> None:
    """No default headers of the gateway's HTTP client (Accept-Encoding would make the runtime compress)."""
    host, port = servers.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /functions/v1/f HTTP/1.1\r\nHost: x\r\nX-Only: 1\r\nConnection: close\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    seen = json.loads(body)
    assert set(seen["headers"]) - {"host", "connection", "content-length"} == {"x-only"}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_method_body_and_status_pass_through(servers: Servers, method: str) -> None:
    body = b'{"n": 1, "bytes": "\xc3\xa9"}'
    resp = httpx.request(
        method,
        f"{servers.url}/functions/v1/alert-dispatch",
        content=body,
        headers={"Content-Type": "application/json", "X-Answer-Status": "207"},
    )
    assert resp.status_code == 207
    seen = resp.json()
    assert seen["method"] == method
    assert seen["body"].encode("latin-1") == body
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["headers"]["content-length"] == str(len(body))


@pytest.mark.parametrize("status", [401, 404, 413, 502])
def test_the_functions_error_statuses_pass_through_unchanged(servers: Servers, status: int) -> None:
    resp = httpx.get(f"{servers.url}/functions/v1/f", headers={"X-Answer-Status": str(status)})
    assert resp.status_code == status
    assert resp.json()["target"] == "/f"


def test_a_preflight_goes_to_the_function_and_no_postgrest_cors_is_added(servers: Servers) -> None:
    origin = {"Origin": "http://127.0.0.1:54323"}
    pre = httpx.options(
        f"{servers.url}/functions/v1/artifact-download",
        headers={**origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
    )
    assert pre.status_code == 200
    assert pre.json()["method"] == "OPTIONS"  # the function answered it, not the gateway's CORS layer
    assert pre.headers["access-control-allow-methods"] == "GET, OPTIONS"
    assert "access-control-max-age" not in pre.headers
    got = httpx.get(f"{servers.url}/functions/v1/artifact-download", headers=origin)
    assert got.headers.get("access-control-expose-headers") != cors.EXPOSED
    assert "access-control-allow-origin" not in got.headers  # the echo sets none; the gateway adds none
    # The Data API keeps PostgREST's CORS and Kong's key-auth.
    rest = httpx.get(f"{servers.url}/rest/v1/runs", headers=origin)
    assert rest.status_code == 401
    assert rest.headers["access-control-allow-origin"] == "*"


def test_kong_answers_what_has_no_route_and_a_runtime_that_does_not_answer(servers: Servers) -> None:
    for path in ("/functions/v1", "/functions", "/functions/v2/x"):
        resp = httpx.get(f"{servers.url}{path}")
        assert resp.status_code == 404, path
        assert resp.json() == {"message": "no Route matched with those values"}

    async def answer(upstream: str | None, target: str) -> Response:
        gateway = _gateway(upstream)
        return await gateway.handle(Request("GET", target, {}, b""))

    down = servers.run(answer(f"http://127.0.0.1:{_free_port()}", "/functions/v1/f"))
    assert down.status == 502
    assert json.loads(down.body) == {"message": "An invalid response was received from the upstream server"}
    unconfigured = servers.run(answer(None, "/functions/v1/f"))
    assert unconfigured.status == 404


# -- through the local stack ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack_url() -> str:
    url = os.environ.get("SUPABASE_URL")
    if not url:
        pytest.exit('SUPABASE_URL is not set: run against a started stack (`eval "$(controlroom env)"`).', 2)
    return url.rstrip("/")


def test_the_stack_serves_artifact_download_behind_functions_v1(stack_url: str) -> None:
    unknown = httpx.get(f"{stack_url}/functions/v1/no-such-function")
    assert unknown.status_code == 404
    assert unknown.text == "Function not found"
    pre = httpx.options(
        f"{stack_url}/functions/v1/artifact-download",
        headers={"Origin": "http://127.0.0.1:54323", "Access-Control-Request-Method": "GET"},
    )
    assert pre.status_code == 204  # the function's own preflight answer
    assert "X-Artifact-Verified" in pre.headers["access-control-expose-headers"]
    assert "GET" in pre.headers["access-control-allow-methods"]
    no_token = httpx.get(f"{stack_url}/functions/v1/artifact-download?artifact_id=00000000-0000-0000-0000-000000000000")
    assert no_token.status_code == 401
    assert no_token.json() == {"msg": "Error: Missing authorization header"}
    secret = os.environ["SUPABASE_JWT_SECRET"]
    token = keys.sign({"sub": "00000000-0000-0000-0000-000000000001", "role": "authenticated", "exp": 2**31}, secret)
    missing = httpx.get(
        f"{stack_url}/functions/v1/artifact-download?artifact_id=00000000-0000-0000-0000-000000000000",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "PT404"
    assert missing.headers["access-control-allow-origin"] == "*"
