"""Turning a main-statement row (or a database error) into PostgREST's HTTP response."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from controlroom.gateway.digits import ascii_int
from controlroom.gateway.errors import ApiError
from controlroom.gateway.http import Response
from controlroom.gateway.plan import Plan, Shape
from controlroom.gateway.sqlstate import http_status


def error_response(err: ApiError, extra: list[tuple[str, str]] | None = None) -> Response:
    headers = list(err.headers)
    if err.code:
        headers.append(("Proxy-Status", f"PostgREST; error={err.code}"))
    if extra:
        headers.extend(extra)
    return Response(err.status, err.body(), headers)


def from_database(exc: asyncpg.PostgresError, *, authenticated: bool) -> ApiError:
    sqlstate = exc.sqlstate or "XX000"
    message = str(getattr(exc, "message", "") or exc)
    detail = getattr(exc, "detail", None)
    hint = getattr(exc, "hint", None)
    if sqlstate == "PGRST":
        return _raised_pgrst(message, detail)
    status = http_status(sqlstate, message, authenticated=authenticated)
    headers = [("WWW-Authenticate", "Bearer")] if status == 401 else []
    return ApiError(status, sqlstate, message, detail, hint, headers)


class _Malformed(Exception):
    """A RAISE 'PGRST' payload or a response.headers GUC that is not the documented JSON."""


def _object(text: str | None) -> dict[str, Any]:
    try:
        value = orjson.loads(text) if text else {}
    except orjson.JSONDecodeError:
        raise _Malformed from None
    if not isinstance(value, dict):
        raise _Malformed
    return value


def _raised_pgrst(message: str, detail: str | None) -> ApiError:
    """`RAISE SQLSTATE 'PGRST' USING message = '<json body>', detail = '<json status/headers>'`."""
    try:
        body, meta = _object(message), _object(detail)
    except _Malformed:
        body, meta = {}, {}
    status = ascii_int(str(meta.get("status", 400)))
    if not isinstance(body.get("code"), str) or status is None or not 100 <= status <= 599:
        return ApiError(
            500,
            "PGRST121",
            "Could not parse JSON in the RAISE SQLSTATE 'PGRST' error",
            detail,
            "The message must be a JSON object with a 'code' key and the detail a JSON object "
            "with 'status' and 'headers'",
        )
    headers = [(str(k), str(v)) for k, v in (meta.get("headers") or {}).items()]
    return ApiError(
        status,
        body["code"],
        str(body.get("message", "")),
        body.get("details"),
        body.get("hint"),
        headers,
    )


def _header_pairs(raw: str) -> list[tuple[str, str]]:
    try:
        items = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _Malformed from None
    if not isinstance(items, list):
        raise _Malformed
    out = []
    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            raise _Malformed
        ((name, value),) = item.items()
        if not isinstance(value, str):
            raise _Malformed
        out.append((name, value))
    return out


def _guc_headers(raw: str | None) -> list[tuple[str, str]]:
    if not raw:
        return []
    try:
        return _header_pairs(raw)
    except _Malformed:
        raise ApiError(
            500,
            "PGRST111",
            "response.headers guc must be a JSON array composed of objects with a single key and a string value",
        ) from None


def _guc_status(raw: str | None) -> int | None:
    if not raw:
        return None
    status = ascii_int(raw)
    if status is not None and 100 <= status <= 599:
        return status
    raise ApiError(500, "PGRST112", "response.status guc must be a valid status code")


def render(plan: Plan, row: Any, *, singular: bool) -> Response:
    """Raises ApiError for results PostgREST refuses (the caller rolls the transaction back)."""
    total: int | None = row["total"]
    page_total: int = row["page_total"]
    status = 200
    if plan.shape is Shape.ROWS:
        lower = plan.offset
        if singular and page_total != 1:
            raise ApiError(
                406,
                "PGRST116",
                "Cannot coerce the result to a single JSON object",
                f"The result contains {page_total} rows",
            )
        if total is not None and lower > total:
            raise ApiError(
                416,
                "PGRST103",
                "Requested range not satisfiable",
                f"An offset of {lower} was requested, but there are only {total} rows.",
            )
        if total is not None and page_total < total:
            status = 206
        shown_total = "*" if total is None else str(total)
        content_range = f"{lower}-{lower + page_total - 1}/{shown_total}" if page_total else f"*/{shown_total}"
    else:
        content_range = "0-0/*"
    headers = [("Content-Range", content_range)]
    headers.extend(_guc_headers(row["response_headers"]))
    override = _guc_status(row["response_status"])
    if plan.shape is Shape.VOID:
        return Response(override or 204, b"", headers, None)
    if override is not None:
        status = override
    body: str = row["body"]
    return Response(status, body.encode(), headers)
