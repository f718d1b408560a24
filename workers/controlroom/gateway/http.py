"""A minimal HTTP/1.1 server on asyncio + httptools.

The gateway's hot path is tiny (one JSON body out of Postgres), so a full framework's per-request
machinery would cost more than the work itself. Requests on one connection are answered in order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import cast

import httptools

from controlroom.gateway import SERVER_NAME


@dataclass(slots=True)
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool = True


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = "application/json; charset=utf-8"


Handler = Callable[[Request], Awaitable[Response]]

_REASONS = {s.value: s.phrase for s in HTTPStatus}
_STATUS_LINES: dict[int, bytes] = {}


def _status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    if line is None:
        line = f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n".encode()
        _STATUS_LINES[status] = line
    return line


def encode(resp: Response, *, head: bool, keep_alive: bool) -> bytes:
    parts = [_status_line(resp.status), b"Server: ", SERVER_NAME.encode(), b"\r\n"]
    if resp.content_type is not None:
        parts += [b"Content-Type: ", resp.content_type.encode(), b"\r\n"]
    for name, value in resp.headers:
        parts.append(f"{name}: {value}\r\n".encode("latin-1", "replace"))
    if resp.status != 204 and not 100 <= resp.status < 200:
        parts.append(b"Content-Length: %d\r\n" % len(resp.body))
    if not keep_alive:
        parts.append(b"Connection: close\r\n")
    parts.append(b"\r\n")
    if not head and resp.status != 204:
        parts.append(resp.body)
    return b"".join(parts)


class HttpProtocol(asyncio.Protocol):
    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._queue: deque[Request] = deque()
        self._busy = False
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._queue.clear()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400, b'{"message":"Protocol upgrades are not supported"}')
        except httptools.HttpParserError:
            self._fail(400, b'{"message":"Malformed HTTP request"}')

    def _fail(self, status: int, body: bytes) -> None:
        if self._transport is not None:
            self._transport.write(encode(Response(status, body), head=False, keep_alive=False))
            self._transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._body = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        previous = self._headers.get(key)
        self._headers[key] = text if previous is None else f"{previous}, {text}"

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        method = self._parser.get_method().decode("ascii", "replace")
        request = Request(
            method, self._url.decode("latin-1"), self._headers, b"".join(self._body), self._parser.should_keep_alive()
        )
        self._queue.append(request)
        if not self._busy:
            self._busy = True
            asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self._queue:
            request = self._queue.popleft()
            response = await self._handler(request)
            transport = self._transport
            if transport is None or transport.is_closing():
                break
            transport.write(encode(response, head=request.method == "HEAD", keep_alive=request.keep_alive))
            if not request.keep_alive:
                transport.close()
                break
        self._busy = False


async def serve(handler: Handler, host: str, port: int) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    # reuse_port: several gateway processes may share the port; the kernel spreads connections.
    return await loop.create_server(
        lambda: HttpProtocol(handler), host, port, reuse_address=True, reuse_port=True, backlog=1024
    )
