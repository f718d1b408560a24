"""A minimal HTTP/1.1 server on asyncio + httptools, with the limits a proxy would enforce.

The gateway's hot path is tiny (one JSON body out of Postgres), so a full framework's per-request
machinery would cost more than the work itself. Requests on one connection are answered in order.

On Supabase, PostgREST sits behind Kong/Envoy, which bound what a client can make the server hold;
this server does the same itself (config.HttpLimits): the request head is bounded in bytes, header
count and time (431, 408), a body in bytes before a byte of it is read (Content-Length) and while it
streams (chunked), and in time between reads (413, 408); an idle keep-alive connection is closed;
beyond max_connections a new connection is closed at once, as Envoy's connection limit does. Once
the head is in, `screen` may refuse the request (Kong's apikey check) before its body is read.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import cast

import httptools
import orjson

from controlroom.gateway import SERVER_NAME
from controlroom.gateway.config import HttpLimits
from controlroom.gateway.digits import ascii_int


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
# Called once the head is in, before the body is read: a response refuses the request (Kong's part).
Screen = Callable[[str, str, dict[str, str]], Response | None]
# Told of every request the server itself refuses (status, method, target), for the request log.
Refused = Callable[[int, str, str], None]
# Offered a request that asks for a protocol upgrade (a websocket), with the connection's transport
# and the bytes after the head: True when it took the connection over (gateway/realtime.py).
Upgrade = Callable[[Request, asyncio.Transport, bytes], bool]

# After refusing a request whose body is still coming, keep reading (and dropping) it this long
# before closing, as nginx's lingering close does: closing a socket with unread data makes the
# kernel send a reset, which can destroy the response before the client has read it.
LINGER_SECONDS = 2.0
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

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


def limit_error(status: int, message: str, details: str, hint: str) -> Response:
    """The server's own refusals in PostgREST's error shape; the code is PT<status>, the project's
    convention for "HTTP status <status>" (PT413 is also the control plane's "split the batch")."""
    error = {"code": f"PT{status}", "details": details, "hint": hint, "message": message}
    return Response(status, orjson.dumps(error), [("Proxy-Status", f"lcr-gateway; error=PT{status}")])


class Connections:
    """The open connections of one server (one process): the count max_connections bounds."""

    def __init__(self) -> None:
        self.open = 0


class HttpProtocol(asyncio.Protocol):
    def __init__(
        self,
        handler: Handler,
        limits: HttpLimits | None = None,
        screen: Screen | None = None,
        refused: Refused | None = None,
        connections: Connections | None = None,
        upgrade: Upgrade | None = None,
    ) -> None:
        self._handler = handler
        self._upgrade = upgrade
        self._upgrade_request: Request | None = None
        self._limits = limits or HttpLimits()
        self._screen = screen
        self._refused = refused
        self._connections = connections or Connections()
        self._counted = False
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._queue: deque[Request] = deque()
        self._busy = False
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._head_bytes = 0  # bytes received since the current request began, until its head is in
        self._head_done = False
        self._in_message = False  # some of the current request has been parsed
        self._body_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._refusal: bytes | None = None  # an error response waiting for the queued ones
        self._closing = False  # refused: further data is dropped, the connection is closing

    # -- connection ------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        if self._connections.open >= self._limits.max_connections:
            self._closing = True
            self._transport.abort()
            return
        self._connections.open += 1
        self._counted = True
        # A new connection is expected to send its request now: the head timeout applies.
        self._arm(self._limits.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._counted:
            self._connections.open -= 1
            self._counted = False
        self._disarm()
        self._transport = None
        self._queue.clear()

    def eof_received(self) -> bool | None:
        if self._closing:  # the client is done sending what was being dropped
            return False
        return None

    def data_received(self, data: bytes) -> None:
        while data and not self._closing:
            if self._head_done:
                chunk, data = data, b""
            else:
                # Feed no more than the head may still take, so httptools never buffers more of a
                # header line than the limit either.
                budget = self._limits.max_header_bytes - self._head_bytes
                if budget <= 0:
                    self._refuse(
                        431,
                        limit_error(
                            431,
                            "Request header fields too large",
                            f"The request line and headers exceed {self._limits.max_header_bytes} bytes.",
                            "Send smaller headers (CONTROLROOM_API_MAX_HEADER_BYTES sets the limit).",
                        ),
                    )
                    return
                chunk, data = data[:budget], data[budget:]
                self._head_bytes += len(chunk)
            try:
                self._parser.feed_data(chunk)
            except httptools.HttpParserUpgrade as upgrade:
                if self._hand_over(chunk[int(upgrade.args[0]) :] + data):
                    return
                self._refuse(400, Response(400, b'{"message":"Protocol upgrades are not supported"}'))
            except httptools.HttpParserError:
                if not self._closing:  # a callback may have refused already
                    self._refuse(400, Response(400, b'{"message":"Malformed HTTP request"}'))

    def _hand_over(self, leftover: bytes) -> bool:
        """Give the connection to the upgrade handler (a websocket), if it takes it."""
        request, self._upgrade_request = self._upgrade_request, None
        transport = self._transport
        if self._upgrade is None or request is None or transport is None or self._busy:
            return False
        self._disarm()
        if not self._upgrade(request, transport, leftover):
            return False
        # The connection is no longer an HTTP one: it leaves the count max_connections bounds.
        self._closing = True
        self._transport = None
        if self._counted:
            self._connections.open -= 1
            self._counted = False
        return True

    # -- timers ----------------------------------------------------------------------------------
    def _arm(self, seconds: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_timed_out(self) -> None:
        self._timer = None
        if self._busy:  # a pipelined head waits for the responses before it; look again later
            self._arm(self._limits.header_timeout, self._head_timed_out)
        elif self._in_message or self._head_bytes:
            self._refuse(
                408,
                limit_error(
                    408,
                    "Request timeout",
                    f"The request head did not arrive within {self._limits.header_timeout:g} s.",
                    "Send the whole request head at once (CONTROLROOM_API_HEADER_TIMEOUT_SECONDS).",
                ),
            )
        else:  # connected, never sent a byte: nothing to answer
            self._close_now()

    def _body_timed_out(self) -> None:
        self._timer = None
        self._refuse(
            408,
            limit_error(
                408,
                "Request timeout",
                f"No part of the request body arrived for {self._limits.body_timeout:g} s.",
                "Send the body without pauses (CONTROLROOM_API_BODY_TIMEOUT_SECONDS).",
            ),
        )

    def _idle_timed_out(self) -> None:
        # Closing an idle keep-alive connection without a response is what HTTP clients expect.
        self._timer = None
        if not self._busy and not self._in_message:
            self._close_now()

    def _close_now(self) -> None:
        self._closing = True
        if self._transport is not None:
            self._transport.close()

    # -- refusals --------------------------------------------------------------------------------
    def _refuse(self, status: int, response: Response) -> None:
        """Answer `response` after the requests already queued, then close; nothing more is parsed."""
        if self._closing:
            return
        self._closing = True
        self._disarm()
        if self._refused is not None:
            method = self._parser.get_method().decode("ascii", "replace") if self._in_message else "-"
            self._refused(status, method, self._url.decode("latin-1") or "-")
        self._refusal = encode(response, head=False, keep_alive=False)
        if not self._busy:
            self._send_refusal()

    def _send_refusal(self) -> None:
        transport, payload, self._refusal = self._transport, self._refusal, None
        if transport is None or transport.is_closing() or payload is None:
            return
        transport.write(payload)
        if transport.can_write_eof():
            transport.write_eof()
            transport.resume_reading()
            asyncio.get_running_loop().call_later(LINGER_SECONDS, transport.close)
        else:
            transport.close()

    # -- httptools callbacks ---------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._body = []
        self._body_bytes = 0
        self._in_message = True
        self._arm(self._limits.header_timeout, self._head_timed_out)

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        previous = self._headers.get(key)
        self._headers[key] = text if previous is None else f"{previous}, {text}"
        if len(self._headers) > self._limits.max_headers:
            self._refuse(
                431,
                limit_error(
                    431,
                    "Request header fields too large",
                    f"The request has more than {self._limits.max_headers} header fields.",
                    "Send fewer headers (CONTROLROOM_API_MAX_HEADERS sets the limit).",
                ),
            )
            raise httptools.HttpParserError("too many headers")  # stops the parser here

    def on_headers_complete(self) -> None:
        self._head_done = True
        self._disarm()
        length = self._headers.get("content-length")
        declared = ascii_int(length) if length is not None else None
        if declared is not None and declared > self._limits.max_body_bytes:
            self._refuse(413, self._too_large())
            raise httptools.HttpParserError("body too large")
        if self._upgrade is not None and self._headers.get("upgrade", "").lower() == "websocket":
            return  # the upgrade handler decides (and screens) once the head is complete
        if self._screen is not None:
            method = self._parser.get_method().decode("ascii", "replace")
            refusal = self._screen(method, self._url.decode("latin-1"), self._headers)
            if refusal is not None:
                self._refuse(refusal.status, refusal)
                raise httptools.HttpParserError("refused")
        if declared or "transfer-encoding" in self._headers:
            if self._headers.get("expect", "").lower() == "100-continue" and self._transport is not None:
                self._transport.write(_CONTINUE)
            self._arm(self._limits.body_timeout, self._body_timed_out)

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > self._limits.max_body_bytes:  # a chunked body has no length up front
            self._body = []
            self._refuse(413, self._too_large())
            raise httptools.HttpParserError("body too large")
        self._body.append(body)
        self._arm(self._limits.body_timeout, self._body_timed_out)

    def _too_large(self) -> Response:
        return limit_error(
            413,
            "Payload too large",
            f"The request body exceeds {self._limits.max_body_bytes} bytes.",
            "Split the batch and send the parts (CONTROLROOM_API_MAX_BODY_BYTES sets the limit).",
        )

    def on_message_complete(self) -> None:
        self._disarm()
        method = self._parser.get_method().decode("ascii", "replace")
        request = Request(
            method, self._url.decode("latin-1"), self._headers, b"".join(self._body), self._parser.should_keep_alive()
        )
        self._body = []
        self._head_bytes = 0
        self._head_done = False
        self._in_message = False
        if self._upgrade is not None and self._parser.should_upgrade():
            self._upgrade_request = request  # httptools raises HttpParserUpgrade next: _hand_over
            return
        self._queue.append(request)
        if not self._busy:
            self._busy = True
            # No more reading while requests are answered: a pipelining client cannot queue more
            # than one read's worth of requests.
            if self._transport is not None:
                self._transport.pause_reading()
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
                self._closing = True
                transport.close()
                break
        self._busy = False
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if self._refusal is not None:
            self._send_refusal()
            return
        transport.resume_reading()
        if not self._in_message:
            self._arm(self._limits.idle_timeout, self._idle_timed_out)


async def serve(
    handler: Handler,
    host: str,
    port: int,
    limits: HttpLimits | None = None,
    screen: Screen | None = None,
    refused: Refused | None = None,
    upgrade: Upgrade | None = None,
) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    connections = Connections()
    # reuse_port: several gateway processes may share the port; the kernel spreads connections.
    return await loop.create_server(
        lambda: HttpProtocol(handler, limits, screen, refused, connections, upgrade),
        host,
        port,
        reuse_address=True,
        reuse_port=True,
        backlog=1024,
    )
