"""Request handling: Kong's part (prefix, apikey), then PostgREST's (JWT, profile, route, transaction)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

import asyncpg
import orjson

from controlroom.gateway import cors, db, functions, kong, paging, read, rpc
from controlroom.gateway.auth import Authenticator, Identity, check_api_key
from controlroom.gateway.config import GatewayConfig
from controlroom.gateway.errors import ApiError, not_found_path, not_implemented, schema_not_exposed
from controlroom.gateway.http import Request, Response
from controlroom.gateway.logs import RequestLog
from controlroom.gateway.plan import Plan, strip_nulls
from controlroom.gateway.query import ident
from controlroom.gateway.respond import error_response, from_database, render
from controlroom.gateway.schema_cache import SchemaCache

PREFIX = kong.PREFIX
SINGULAR = ("application/vnd.pgrst.object+json", "application/vnd.pgrst.object")
ARRAY = ("application/vnd.pgrst.array+json", "application/vnd.pgrst.array")
PLURAL = ("*/*", "application/*", "application/json")
JSON_TYPE = "application/json; charset=utf-8"
RPC_METHODS = ("GET", "HEAD", "POST")
COUNT_PREFS = ("count=exact", "count=planned", "count=estimated")
KNOWN_PREFS = (
    "return=representation",
    "return=minimal",
    "return=headers-only",
    "handling=strict",
    "handling=lenient",
    "resolution=merge-duplicates",
    "resolution=ignore-duplicates",
    "missing=default",
    "missing=null",
    "tx=commit",
    "tx=rollback",
    *COUNT_PREFS,
)


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        pool: db.Pool,
        log: RequestLog,
        edge: functions.FunctionsRoute | None = None,
    ) -> None:
        self.config = config
        self.pool = pool
        self.log = log
        self.edge = edge or functions.FunctionsRoute(None)
        self.auth = Authenticator(config.jwt_secret, config.anon_role)
        self.cache = SchemaCache()
        self._keys_cache: dict[tuple[str, str, tuple[tuple[str, str], ...]], tuple[list[str], list[str]]] = {}

    def screen(self, method: str, target: str, headers: dict[str, str]) -> Response | None:
        """Kong's checks on the head alone, so a request without a valid apikey has its body unread.

        A CORS preflight is answered here, before the apikey check: browsers send it without one.
        The /functions/v1/ route has no key-auth: its requests go on to the Edge Functions."""
        if functions.routed(target):
            return None
        refusal = kong.screen(target, headers, self.config.api_keys, method=method, cors_preflight=True)
        if refusal is not None:
            self.refused(refusal.status, method, target)
        return refusal

    def refused(self, status: int, method: str, target: str) -> None:
        """A request the HTTP layer refused before the handler (limits, or screen): one log line."""
        self.log.request(method, target.split("?", 1)[0], status, 0.0, "-")

    def use_cache(self, cache: SchemaCache) -> None:
        self.cache = cache
        self._keys_cache.clear()
        self.pool.invalidate()

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        path = request.target.split("?", 1)[0]
        if functions.routed(request.target):
            # Kong's functions route: passed through, CORS and all, to the function (gateway/functions.py).
            response = await self.edge.forward(request)
            self.log.request(request.method, path, response.status, (time.perf_counter() - started) * 1000, "-")
            return response
        profile: list[tuple[str, str]] = []
        role = ["-"]  # filled in once the JWT is verified, so failed requests log their role too
        try:
            response = await self._handle(request, profile, role)
        except ApiError as err:
            response = error_response(err, profile)
        except Exception as exc:  # keep serving; the log line says what broke
            self.log.failure(request.method, path, exc)
            response = error_response(ApiError(500, "PGRST000", "Internal gateway error", type(exc).__name__))
        response.headers.extend(cors.response_headers(request.headers))
        self.log.request(request.method, path, response.status, (time.perf_counter() - started) * 1000, role[0])
        return response

    async def _handle(self, request: Request, profile: list[tuple[str, str]], role: list[str]) -> Response:
        raw_path, _, raw_query = request.target.partition("?")
        path = unquote(raw_path)
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return Response(404, kong.NO_ROUTE)
        query = parse_qsl(raw_query, keep_blank_values=True)
        headers = request.headers
        apikey_in_query = [v for k, v in query if k == "apikey"]
        if "apikey" not in headers and apikey_in_query:
            headers = {**headers, "apikey": apikey_in_query[0]}
        query = [(k, v) for k, v in query if k != "apikey"]
        check_api_key(headers, self.config.api_keys)
        # Kong forwards Authorization when present, else derives it from the apikey.
        identity = self.auth.identify(headers.get("authorization") or f"Bearer {headers['apikey']}")
        role[0] = identity.role
        rest = path[len(PREFIX) :] or "/"
        # PostgREST's path segments: `/items/` is ["items", ""], an invalid path (PGRST125), not `/items`.
        segments = [] if rest == "/" else rest[1:].split("/")
        method = request.method

        write = method not in ("GET", "HEAD")
        profile_header = headers.get("content-profile" if write else "accept-profile")
        schema = profile_header if profile_header is not None else self.config.default_schema
        if schema not in self.config.schemas:
            raise schema_not_exposed(schema, self.config.schemas)
        if profile_header is not None:
            profile.append(("Content-Profile", schema))

        if not segments:
            raise not_implemented("the OpenAPI description at the root path")
        if segments[0] == "rpc" and len(segments) == 2:
            if method == "OPTIONS":
                if (schema, segments[1]) not in self.cache.routines:
                    raise rpc.not_found(self.cache, _options_call(schema, segments[1]), [], json_post=False)
                return Response(200, b"", [("Allow", "OPTIONS,GET,HEAD,POST"), *profile], None)
            if method not in RPC_METHODS:
                raise ApiError(405, "PGRST101", f"Cannot use the {method} method on RPC")
        elif len(segments) != 1 or not segments[0]:
            raise not_found_path()
        elif method == "OPTIONS":
            if (schema, segments[0]) not in self.cache.relations:
                raise read.table_not_found(self.cache, schema, segments[0])
            return Response(200, b"", [("Allow", "OPTIONS,GET,HEAD"), *profile], None)

        media = _accepts(headers.get("accept"))
        singular = media.singular
        # RFC 9110: a server may ignore Range on methods other than GET; PostgREST does.
        requested_range = paging.header_range(headers.get("range")) if method == "GET" else None
        prefer = [p.strip() for p in headers.get("prefer", "").split(",") if p.strip()]
        if "handling=strict" in prefer:
            invalid = [p for p in prefer if p not in KNOWN_PREFS]
            if invalid:
                raise ApiError(
                    400,
                    "PGRST122",
                    "Invalid preferences given with handling=strict",
                    f"Invalid preferences: {', '.join(invalid)}",
                )
        count_pref = next((p for p in prefer if p in COUNT_PREFS), None)
        applied = [p for p in prefer if p == count_pref or p == "handling=strict"]

        cache = self.cache
        plan: Plan
        if segments[0] == "rpc" and len(segments) == 2:
            content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            plan = rpc.plan(
                cache,
                rpc.RpcRequest(
                    schema,
                    segments[1],
                    method,
                    tuple(query),
                    request.body,
                    content_type,
                    singular,
                    count_pref is not None,
                    requested_range,
                ),
                self.config.max_rows,
            )
        else:
            plan = read.plan(
                cache,
                read.ReadRequest(
                    schema,
                    segments[0],
                    method,
                    tuple(query),
                    singular,
                    count_pref is not None,
                    requested_range,
                ),
                self.config.max_rows,
            )

        keys, values = self._settings(schema, identity, plan)
        values = [*values, identity.claims_json, method, rest, _headers_json(headers), _cookies_json(headers)]
        result: list[Response] = []

        if media.strip_nulls:
            plan = strip_nulls(plan)

        def check(row: Any) -> None:
            result.append(render(plan, row, singular=singular))

        isolation = dict(plan.hoisted).get("default_transaction_isolation") or dict(
            self.cache.role_settings.get(identity.role, [])
        ).get("default_transaction_isolation")
        try:
            await db.run(
                self.pool,
                begin=db.begin_sql(plan.read_only, isolation),
                keys=keys,
                values=values,
                sql=plan.sql,
                args=plan.args,
                check=check,
            )
        except asyncpg.PostgresError as exc:
            raise from_database(exc, authenticated=identity.authenticated) from None
        response = result[0]
        if response.content_type is not None:
            response.content_type = media.content_type
        response.headers.extend(profile)
        if applied:
            response.headers.append(("Preference-Applied", ", ".join(applied)))
        return response

    def _settings(self, schema: str, identity: Identity, plan: Plan) -> tuple[list[str], list[str]]:
        """set_config keys and the values that do not vary per request, cached per (schema, role, hoisted)."""
        key = (schema, identity.role, plan.hoisted)
        cached = self._keys_cache.get(key)
        if cached is None:
            path: list[str] = []
            for name in (schema, *self.config.extra_search_path):
                if ident(name) not in path:
                    path.append(ident(name))
            role_settings = [
                kv for kv in self.cache.role_settings.get(identity.role, []) if kv[0] != "default_transaction_isolation"
            ]
            hoisted = [kv for kv in plan.hoisted if kv[0] != "default_transaction_isolation"]
            pairs = [("search_path", ", ".join(path)), *role_settings, *hoisted, ("role", identity.role)]
            names = [k for k, _ in pairs] + [
                "request.jwt.claims",
                "request.method",
                "request.path",
                "request.headers",
                "request.cookies",
            ]
            cached = (names, [v for _, v in pairs])
            self._keys_cache[key] = cached
        return cached


@dataclass(frozen=True)
class MediaType:
    """The response media type PostgREST's content negotiation chose (MediaType.hs)."""

    singular: bool = False
    strip_nulls: bool = False
    content_type: str = JSON_TYPE


def _media(part: str) -> MediaType | None:
    name, *raw_params = (p.strip() for p in part.split(";"))
    name = name.lower()
    params = dict(p.partition("=")[::2] for p in raw_params)
    strip = params.get("nulls") == "stripped"
    if name in SINGULAR:
        mime = "application/vnd.pgrst.object+json" + (";nulls=stripped" if strip else "")
        return MediaType(True, strip, mime + "; charset=utf-8")
    if name in ARRAY:
        mime = "application/vnd.pgrst.array+json;nulls=stripped" if strip else "application/json"
        return MediaType(False, strip, mime + "; charset=utf-8")
    if name in PLURAL or name == "":
        return MediaType()
    return None


def _accepts(accept: str | None) -> MediaType:
    """The first acceptable media type offered; PGRST107 when nothing acceptable is offered."""
    if not accept:
        return MediaType()
    offered = accept.split(",")
    for part in offered:
        media = _media(part)
        if media is not None:
            return media
    names = [part.split(";", 1)[0].strip().lower() for part in offered]
    raise ApiError(406, "PGRST107", f"None of these media types are available: {', '.join(names)}")


def _options_call(schema: str, name: str) -> rpc.RpcRequest:
    return rpc.RpcRequest(schema, name, "OPTIONS", (), b"", "", False, False)


def _headers_json(headers: dict[str, str]) -> str:
    return orjson.dumps({k: v for k, v in headers.items() if k != "cookie"}).decode()


def _cookies_json(headers: dict[str, str]) -> str:
    raw = headers.get("cookie")
    if not raw:
        return "{}"
    cookies = {}
    for part in raw.split(";"):
        name, eq, value = part.strip().partition("=")
        if eq and name:
            cookies[name] = value
    return orjson.dumps(cookies).decode()
