"""Kong's part of a request (the `/rest/v1` route and key-auth), decided from the request head alone.

It runs before the body is read, so a request without a valid apikey costs the server its head and
nothing more, whatever body it announces; the handlers check the same again.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

from controlroom.gateway import cors
from controlroom.gateway.auth import check_api_key
from controlroom.gateway.errors import ApiError
from controlroom.gateway.http import Response
from controlroom.gateway.respond import error_response

PREFIX = "/rest/v1"
NO_ROUTE = b'{"message":"no Route matched with those values"}'


def api_key(headers: dict[str, str], raw_query: str) -> str | None:
    """The `apikey` header, else the `apikey` query parameter (Kong's key-auth reads both)."""
    key = headers.get("apikey")
    if key is None and "apikey" in raw_query:
        key = next((v for k, v in parse_qsl(raw_query, keep_blank_values=True) if k == "apikey"), None)
    return key


def screen(
    target: str, headers: dict[str, str], accepted: frozenset[str], *, method: str = "", cors_preflight: bool = False
) -> Response | None:
    """Kong's refusal of this request (404 no route, 401 no or unknown apikey), or None to go on.

    With `cors_preflight`, a CORS preflight on the route is answered here, before key-auth, as
    Supabase's Kong (cors plugin ahead of key-auth) and PostgREST's CORS layer both answer it."""
    raw_path, _, raw_query = target.partition("?")
    path = unquote(raw_path)
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return Response(404, NO_ROUTE)
    if cors_preflight:
        answer = cors.preflight(method, headers)
        if answer is not None:
            return answer
    key = api_key(headers, raw_query)
    try:
        check_api_key({} if key is None else {"apikey": key}, accepted)
    except ApiError as err:
        return error_response(err, cors.response_headers(headers) if cors_preflight else None)
    return None
