"""Kong's /functions/v1/ route: requests forwarded to the Edge Functions runtime, as Supabase's API gateway
does (the CLI's kong.yml: service `functions-v1`, path `/functions/v1/`, strip_path, upstream the Edge
Runtime's main service, read timeout 150 s).

- `/functions/v1/<name>…?query` goes to `<upstream>/<name>…?query`: method, headers (but hop-by-hop
  ones), body and the answer's status, headers and body pass through unchanged. The runtime decides
  the rest: an unknown function is its 404, a missing or invalid JWT its 401 (verify_jwt).
- No apikey is asked for (the route has no key-auth), and the PostgREST CORS layer is not applied: as on
  hosted Supabase, a function answers its own CORS, preflights included.
- `/functions/v1` without a trailing part, or any path when no runtime is configured
  (CONTROLROOM_EDGE_RUNTIME_URL unset), is Kong's 404 "no Route matched with those values"; a runtime
  that does not answer is Kong's 502.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from controlroom.gateway.http import Request, Response

PREFIX = "/functions/v1/"
READ_TIMEOUT_SECONDS = 150.0  # Kong's read_timeout for the route (the hosted wall-clock limit)
NO_ROUTE = b'{"message":"no Route matched with those values"}'
BAD_UPSTREAM = b'{"message":"An invalid response was received from the upstream server"}'
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)
_CLIENT_DEFAULTS = ("accept", "accept-encoding", "user-agent")
# The HTTP layer writes these itself (Server) or from the body (Content-Length).
_REWRITTEN = frozenset({"content-length", "server", "content-type"})


def routed(target: str) -> bool:
    """Whether a request target belongs to the functions route (before any other check)."""
    return target.startswith(PREFIX)


class FunctionsRoute:
    def __init__(self, upstream: str | None) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FunctionsRoute:
        env = os.environ if env is None else env
        return cls(env.get("CONTROLROOM_EDGE_RUNTIME_URL") or None)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = httpx.Timeout(READ_TIMEOUT_SECONDS, connect=5.0)
            # No environment proxies, no decompression: the body passes through as the function sent it.
            self._client = httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False)
        return self._client

    async def forward(self, request: Request) -> Response:
        if self.upstream is None or not routed(request.target):
            return Response(404, NO_ROUTE)
        target = "/" + request.target[len(PREFIX) :]
        headers = [(k, v) for k, v in request.headers.items() if k not in HOP_BY_HOP and k != "content-length"]
        client = self._http()
        outgoing = client.build_request(request.method, self.upstream + target, headers=headers, content=request.body)
        for name in _CLIENT_DEFAULTS:
            if name not in request.headers:
                outgoing.headers.pop(name, None)  # httpx's own defaults: only what the caller sent goes upstream
        try:
            upstream = await client.send(outgoing, stream=True)
            try:
                # Raw bytes: a compressed answer stays compressed, with its Content-Encoding.
                body = b"".join([chunk async for chunk in upstream.aiter_raw()])
            finally:
                await upstream.aclose()
        except httpx.HTTPError as exc:
            return Response(502, BAD_UPSTREAM, [("X-Upstream-Error", type(exc).__name__)])
        kept = [(k, v) for k, v in upstream.headers.multi_items() if k.lower() not in HOP_BY_HOP | _REWRITTEN]
        content_type = upstream.headers.get("content-type")
        if body == b"" and content_type is None:
            return Response(upstream.status_code, b"", kept, None)
        return Response(upstream.status_code, body, kept, content_type)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
