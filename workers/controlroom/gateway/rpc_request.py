"""Parsing a `/rpc/{fn}` request (PostgREST's ApiRequest): query parameters split into filters,
modifiers and GET arguments; the POST body decoded into the argument names it passes.

Nothing here looks at the schema cache: the result says what the client asked for, not what exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from controlroom.gateway import paging
from controlroom.gateway.errors import invalid_body, not_implemented, parse_error
from controlroom.gateway.query import Filter, Modifiers, is_filter_value, parse_filter, split_query

# Content type of a POST body → the type of the single unnamed parameter it may be passed to.
RAW_BODY_TYPES = {"text/plain": "text", "text/xml": "xml", "application/octet-stream": "bytea"}


@dataclass(frozen=True)
class RpcRequest:
    schema: str
    name: str
    method: str  # GET, HEAD or POST
    query: tuple[tuple[str, str], ...]
    body: bytes
    content_type: str  # media type without parameters, lower-cased; "" when absent
    singular: bool
    count: bool
    range: tuple[int, int | None] | None = None  # from a `Range: a-b` header (GET only; see paging)


@dataclass
class ParsedCall:
    """What the request asks of the function, before any overload is chosen."""

    filters: list[Filter] = field(default_factory=list)
    mods: Modifiers = field(default_factory=Modifiers)
    get_args: dict[str, list[str]] = field(default_factory=dict)  # GET/HEAD: name → values (VARIADIC repeats)
    json_post: bool = False  # a POST whose body is JSON (so the json/jsonb fallback applies)
    body_text: str = "{}"  # the JSON object json_to_record reads (the first element of an array body)
    keys: frozenset[str] = frozenset()  # the argument names passed


def parse(req: RpcRequest) -> ParsedCall:
    call = ParsedCall(json_post=req.method == "POST" and req.content_type in ("", "application/json"))
    _parse_query(req, call)
    call.mods.limit, call.mods.offset = paging.effective(call.mods.limit, call.mods.offset, req.range)
    if req.method == "POST":
        _parse_body(req, call)
    else:
        call.keys = frozenset(call.get_args)
    return call


def _parse_query(req: RpcRequest, call: ParsedCall) -> None:
    for key, value in split_query(req.query, call.mods):
        if is_filter_value(value):
            call.filters.append(parse_filter(key, value))
        elif req.method in ("GET", "HEAD"):
            call.get_args.setdefault(key, []).append(value)
        else:
            raise parse_error(
                f'"failed to parse filter ({value})" (line 1, column 1)',
                "Query parameters of a POST RPC are filters on its result",
            )


def _parse_body(req: RpcRequest, call: ParsedCall) -> None:
    body_value: object = {}
    if req.content_type in RAW_BODY_TYPES:
        body_value = None
    elif call.json_post:
        if req.body.strip():
            try:
                body_value = orjson.loads(req.body)
            except orjson.JSONDecodeError as exc:
                raise invalid_body(str(exc)) from None
        if isinstance(body_value, list):
            body_value = body_value[0] if body_value else {}
            call.body_text = orjson.dumps(body_value).decode()
        elif req.body.strip():
            call.body_text = req.body.decode()
    else:
        raise not_implemented(f"request bodies of type {req.content_type} are not supported")
    call.keys = frozenset(body_value) if isinstance(body_value, dict) else frozenset()
