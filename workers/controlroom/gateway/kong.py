"""Kong's part of a request (the `/rest/v1` route and key-auth), decided from the request head alone.

It runs before the body is read, so a request without a valid apikey costs the server its head and
nothing more, whatever body it announces; the handlers check the same again.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

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


def screen(target: str, headers: dict[str, str], accepted: frozenset[str]) -> Response | None:
    """Kong's refusal of this request (404 no route, 401 no or unknown apikey), or None to go on."""
    raw_path, _, raw_query = target.partition("?")
    path = unquote(raw_path)
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return Response(404, NO_ROUTE)
    key = api_key(headers, raw_query)
    try:
        check_api_key({} if key is None else {"apikey": key}, accepted)
    except ApiError as err:
        return error_response(err)
    return None
