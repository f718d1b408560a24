"""A Realtime-compatible websocket endpoint: `/realtime/v1/websocket`, the subset executors use.

Supabase Realtime is a Phoenix application; supabase-py's `realtime` client speaks Phoenix channels
over a websocket, serializer vsn 1.0.0 (JSON objects `{topic, event, payload, ref, join_ref}`).
This endpoint covers (docs/realtime.md, with what is not covered):

- the socket: `GET /realtime/v1/websocket?apikey=<JWT>&vsn=1.0.0` upgraded to a websocket (RFC 6455)
  when the apikey is a JWT signed with the project secret, else 403 (Realtime's UserSocket.connect);
- `heartbeat` on topic `phoenix`: `phx_reply` ok with an empty response;
- `phx_join` on `realtime:<topic>` with `{config: {broadcast, presence, private, postgres_changes},
  access_token}`: a private channel is authorised as the RLS policy on realtime.messages does on
  hosted Supabase (see `may_read`); the reply is `{status: ok, response: {postgres_changes: []}}`, or
  `{status: error, response: {reason: "<Code>: <message>"}}` in Realtime's words;
- `phx_leave`: `phx_reply` ok, then `phx_close` with the join's ref; `access_token`: the channel is
  re-authorised with the new token and closed when it no longer may read;
- Broadcast from the database: `pg_notify('controlroom_wake', {topic, event, private, payload})`,
  sent where hosted Supabase calls `realtime.send(payload, event, topic, private)`, reaches the
  channels of that topic (private messages only private channels) as
  `{event: broadcast, topic, payload: {event, payload, type: broadcast, meta: {id}}, ref: null}`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qsl

import asyncpg
import orjson
from websockets.exceptions import InvalidState, ProtocolError
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol, Side

from controlroom.gateway.auth import Authenticator
from controlroom.gateway.errors import ApiError
from controlroom.gateway.http import Request

PATH = "/realtime/v1/websocket"
CHANNEL = "controlroom_wake"  # the NOTIFY channel private.wake_executors sends on locally
WAKE_TOPIC_PREFIX = "controlroom:wake:"
EXECUTOR_ROLE = "controlroom_executor"
MAX_MESSAGE_BYTES = 1 << 20  # Realtime's default websocket max frame size is 1 MB as well
RECONNECT_SECONDS = 1.0
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def may_read(topic: str, claims: dict[str, Any]) -> bool:
    """Whether a token may join the private channel `topic`: the rule of the RLS policy on
    realtime.messages on hosted Supabase (docs/realtime.md). The service role reads every topic; an
    executor token reads the wake-up topic of its own pool only."""
    role = claims.get("role")
    if role == "service_role":
        return True
    pool = claims.get("pool")
    return role == EXECUTOR_ROLE and isinstance(pool, str) and topic == WAKE_TOPIC_PREFIX + pool


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")  # noqa: S324


@dataclass(eq=False)
class Subscription:
    socket: RealtimeSocket
    topic: str  # without the realtime: prefix
    join_ref: str | None
    private: bool


@dataclass
class Hub:
    """The channels joined on this gateway process, by topic, and the broadcasts that reach them."""

    auth: Authenticator
    topics: dict[str, set[Subscription]] = field(default_factory=dict)
    delivered: int = 0

    def subscribe(self, sub: Subscription) -> None:
        self.topics.setdefault(sub.topic, set()).add(sub)

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self.topics.get(sub.topic)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.topics[sub.topic]

    def publish(self, topic: str, event: str, payload: object, private: bool) -> int:
        subs = self.topics.get(topic)
        if not subs:
            return 0
        frame = orjson.dumps(
            {
                "event": "broadcast",
                "topic": "realtime:" + topic,
                "payload": {"event": event, "payload": payload, "type": "broadcast", "meta": {"id": str(uuid.uuid4())}},
                "ref": None,
            }
        ).decode()
        sent = 0
        for sub in list(subs):
            if sub.private == private:
                sub.socket.send_text(frame)
                sent += 1
        self.delivered += sent
        return sent

    def notified(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        try:
            message = orjson.loads(cast(str, payload))
            topic, event = message["topic"], message["event"]
            private = bool(message.get("private", False))
            body = message.get("payload", {})
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return  # not a message of ours
        if isinstance(topic, str) and isinstance(event, str):
            self.publish(topic, event, body, private)

    async def listen(self, db_uri: str, on_error: Callable[[Exception], None]) -> None:
        """LISTEN controlroom_wake for the process's lifetime, reconnecting when the connection drops.
        Messages sent while it is down are lost: executors then find the work by their fallback poll."""
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(db_uri, server_settings={"application_name": "lcr-realtime-listener"})
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self.notified)
                await lost.wait()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                on_error(exc)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=1)
            await asyncio.sleep(RECONNECT_SECONDS)

    # -- the HTTP upgrade -----------------------------------------------------------------------
    def upgrade(self, request: Request, transport: asyncio.Transport, leftover: bytes) -> bool:
        """Take over a connection whose request asked for a websocket. False: not ours (the HTTP
        server answers it). True: answered here (101 and the websocket from now on, or a refusal)."""
        path, _, query = request.target.partition("?")
        if path != PATH:
            return False
        params = dict(parse_qsl(query, keep_blank_values=True))
        key = request.headers.get("sec-websocket-key")
        if request.method != "GET" or key is None or request.headers.get("sec-websocket-version") != "13":
            _refuse(transport, 400, "Bad websocket handshake")
            return True
        token = params.get("apikey") or request.headers.get("apikey")
        if not token or not self._token_ok(token):
            _refuse(transport, 403, "Forbidden")
            return True
        transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n".encode("ascii")
        )
        socket = RealtimeSocket(self, token or "")
        transport.set_protocol(socket)
        socket.connection_made(transport)
        if leftover:
            socket.data_received(leftover)
        transport.resume_reading()
        return True

    def _token_ok(self, token: str) -> bool:
        try:
            self.auth.identify(f"Bearer {token}")
        except ApiError:
            return False
        return True


def _refuse(transport: asyncio.Transport, status: int, reason: str) -> None:
    body = orjson.dumps({"message": reason})
    transport.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode("latin-1")
        + body
    )
    transport.close()


class RealtimeSocket(asyncio.Protocol):
    """One websocket: Phoenix channel messages in, replies and broadcasts out."""

    def __init__(self, hub: Hub, socket_token: str) -> None:
        self._hub = hub
        self._socket_token = socket_token
        self._ws = Protocol(Side.SERVER, max_size=MAX_MESSAGE_BYTES)
        self._transport: asyncio.Transport | None = None
        self._channels: dict[str, Subscription] = {}  # by full topic (realtime:<topic>)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        for sub in self._channels.values():
            self._hub.unsubscribe(sub)
        self._channels.clear()
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._ws.receive_data(data)
        for event in self._ws.events_received():
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self._handle(bytes(event.data))
        self._flush()

    def eof_received(self) -> bool | None:
        self._ws.receive_eof()
        self._flush()
        return None

    def send_text(self, text: str) -> None:
        if self._transport is None:
            return
        with contextlib.suppress(InvalidState, ProtocolError):
            self._ws.send_text(text.encode())
        self._flush()

    def _flush(self) -> None:
        transport = self._transport
        if transport is None:
            return
        for chunk in self._ws.data_to_send():
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():  # the empty chunk: close the TCP half (RFC 6455 7.1.1)
                transport.write_eof()
        if self._ws.close_expected():
            transport.close()

    def _reply(self, topic: str, ref: object, status: str, response: dict[str, Any]) -> None:
        self.send_text(
            orjson.dumps(
                {"topic": topic, "event": "phx_reply", "payload": {"status": status, "response": response}, "ref": ref}
            ).decode()
        )

    def _handle(self, data: bytes) -> None:
        try:
            message = orjson.loads(data)
            topic, event = message["topic"], message["event"]
            payload = message.get("payload") or {}
            ref = message.get("ref")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return  # Phoenix drops what its serializer cannot decode
        if not isinstance(topic, str) or not isinstance(payload, dict):
            return
        if topic == "phoenix" and event == "heartbeat":
            self._reply(topic, ref, "ok", {})
        elif event == "phx_join":
            self._join(topic, payload, ref, message.get("join_ref", ref))
        elif event == "phx_leave":
            sub = self._channels.pop(topic, None)
            self._reply(topic, ref, "ok", {})
            if sub is not None:
                self._hub.unsubscribe(sub)
                self._close(topic, sub.join_ref)
        elif event == "access_token" and topic in self._channels:
            sub = self._channels[topic]
            token = payload.get("access_token")
            if sub.private and (not isinstance(token, str) or self._authorise(sub.topic, token) is not None):
                del self._channels[topic]
                self._hub.unsubscribe(sub)
                self._close(topic, sub.join_ref)
        # Other events (client broadcasts, presence) are not covered: executors only listen.

    def _close(self, topic: str, join_ref: object) -> None:
        self.send_text(orjson.dumps({"topic": topic, "event": "phx_close", "payload": {}, "ref": join_ref}).decode())

    def _join(self, topic: str, payload: dict[str, Any], ref: object, join_ref: object) -> None:
        if not topic.startswith("realtime:") or topic == "realtime:":
            self._reply(topic, ref, "error", {"reason": "TopicNameRequired: You must provide a topic name"})
            return
        sub_topic = topic.removeprefix("realtime:")
        config = payload.get("config") or {}
        private = bool(config.get("private", False)) if isinstance(config, dict) else False
        token = payload.get("access_token") or self._socket_token
        if not isinstance(token, str):
            token = self._socket_token
        refusal = self._authorise(sub_topic, token) if private else self._token_problem(token)[1]
        if refusal is not None:
            self._reply(topic, ref, "error", {"reason": refusal})
            return
        previous = self._channels.pop(topic, None)
        if previous is not None:  # a rejoin replaces the channel, as Phoenix does
            self._hub.unsubscribe(previous)
        sub = Subscription(self, sub_topic, None if join_ref is None else str(join_ref), private)
        self._channels[topic] = sub
        self._hub.subscribe(sub)
        self._reply(topic, ref, "ok", {"postgres_changes": []})

    def _token_problem(self, token: str) -> tuple[dict[str, Any], str | None]:
        """The token's claims, or Realtime's reason for refusing it."""
        try:
            identity = self._hub.auth.identify(f"Bearer {token}")
        except ApiError as err:
            return {}, f"InvalidJWTToken: {err.message}"
        claims = orjson.loads(identity.claims_json) if identity.claims_json else {}
        if not isinstance(claims, dict) or "role" not in claims or "exp" not in claims:
            return {}, "InvalidJWTToken: Fields `role` and `exp` are required in JWT"
        return claims, None

    def _authorise(self, sub_topic: str, token: str) -> str | None:
        claims, problem = self._token_problem(token)
        if problem is not None:
            return problem
        if not may_read(sub_topic, claims):
            return f"Unauthorized: You do not have permissions to read from this Channel topic: {sub_topic}"
        return None
