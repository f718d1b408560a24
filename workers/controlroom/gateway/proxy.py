"""When a real `postgrest` binary is on PATH: run it on an internal port and only play Kong in front.

Kong's share is small (apikey check, `/rest/v1` prefix strip, Authorization derived from the apikey
when absent), so everything else — the whole PostgREST contract — comes from the real thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

from controlroom.gateway import functions, kong
from controlroom.gateway.auth import check_api_key
from controlroom.gateway.config import GatewayConfig
from controlroom.gateway.errors import ApiError
from controlroom.gateway.http import Request, Response, serve
from controlroom.gateway.respond import error_response

PREFIX = kong.PREFIX
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "host",
    "content-encoding",
}


def postgrest_binary(which: Callable[[str], str | None] = shutil.which) -> str | None:
    """The real PostgREST to front, if one is installed; otherwise the stand-in serves."""
    return which("postgrest")


def postgrest_config(config: GatewayConfig, port: int) -> str:
    def q(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        f"db-uri = {q(config.db_uri)}",
        f"db-schemas = {q(','.join(config.schemas))}",
        f"db-extra-search-path = {q(','.join(config.extra_search_path))}",
        "db-channel-enabled = true",
        'server-host = "127.0.0.1"',
        f"server-port = {port}",
        f"db-pool = {config.pool_size}",
    ]
    if config.anon_role:
        lines.append(f"db-anon-role = {q(config.anon_role)}")
    if config.max_rows is not None:
        lines.append(f"db-max-rows = {config.max_rows}")
    if config.jwt_secret:
        lines.append(f"jwt-secret = {q(config.jwt_secret)}")
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def main(config: GatewayConfig, binary: str) -> None:
    port = _free_port()
    conf = Path(tempfile.mkdtemp(prefix="lcr-postgrest-")) / "postgrest.conf"
    conf.write_text(postgrest_config(config, port))
    conf.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_")}
    proc = await asyncio.create_subprocess_exec(binary, str(conf), env=env)
    upstream = f"http://127.0.0.1:{port}"
    client = httpx.AsyncClient(base_url=upstream, timeout=60)
    edge = functions.FunctionsRoute.from_env()

    async def handle(request: Request) -> Response:
        if functions.routed(request.target):
            return await edge.forward(request)
        path, _, query = request.target.partition("?")
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return Response(404, kong.NO_ROUTE)
        try:
            check_api_key(request.headers, config.api_keys)
        except ApiError as err:
            return error_response(err)
        headers = {k: v for k, v in request.headers.items() if k not in HOP_BY_HOP}
        headers.setdefault("authorization", f"Bearer {request.headers['apikey']}")
        target = (path[len(PREFIX) :] or "/") + (f"?{query}" if query else "")
        try:
            upstream_resp = await client.request(request.method, target, headers=headers, content=request.body)
        except httpx.HTTPError as exc:
            return Response(
                502,
                b'{"message":"An invalid response was received from the upstream server"}',
                [("X-Upstream-Error", type(exc).__name__)],
            )
        kept = [
            (k, v)
            for k, v in upstream_resp.headers.items()
            if k.lower() not in HOP_BY_HOP and k.lower() not in ("content-type", "server")
        ]
        return Response(
            upstream_resp.status_code, upstream_resp.content, kept, upstream_resp.headers.get("content-type")
        )

    def screen(method: str, target: str, headers: dict[str, str]) -> Response | None:
        if functions.routed(target):
            return None
        return kong.screen(target, headers, config.api_keys, method=method, cors_preflight=True)

    server = await serve(handle, config.host, config.port, config.limits, screen)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.ensure_future(proc.wait())
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    server.close()
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 5)
    await client.aclose()
    await edge.close()
