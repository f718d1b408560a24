"""CORS as PostgREST answers it (its wai-cors policy, `server-cors-allowed-origins` unset: any origin).

A browser page on another port (the control room page) needs this to call the Data API.

- A request with an `Origin` header gets `Access-Control-Allow-Origin: *` and
  `Access-Control-Expose-Headers` on its response, whatever the status.
- A preflight (`OPTIONS` with `Origin` and a supported `Access-Control-Request-Method`) is answered
  200 with an empty body by the CORS layer itself, before routing, the apikey or the JWT are looked
  at: browsers send preflights without credentials (on Supabase, Kong's cors plugin answers them
  before key-auth for the same reason). An `OPTIONS` that is not a valid preflight goes on to the
  router (which answers `Allow`, or 404 for an unknown function or table).
"""

from __future__ import annotations

from controlroom.gateway.http import Response

# wai-cors: the policy's methods, then the simple methods it adds (`union`, duplicates dropped).
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD")
EXPOSED = (
    "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, "
    "Transfer-Encoding, Range-Unit"
)
MAX_AGE = str(60 * 60 * 24)
# Headers wai-cors always allows besides PostgREST's `Authorization` and the requested ones.
_SIMPLE_HEADERS = ("Accept", "Accept-Language", "Content-Language")


def response_headers(headers: dict[str, str]) -> list[tuple[str, str]]:
    """What an actual (non-preflight) cross-origin request's response carries; nothing without Origin."""
    if "origin" not in headers:
        return []
    return [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", EXPOSED)]


def preflight(method: str, headers: dict[str, str]) -> Response | None:
    """The answer to a CORS preflight, or None when this is not one (the router handles it)."""
    if method != "OPTIONS" or "origin" not in headers:
        return None
    wanted = headers.get("access-control-request-method")
    if wanted is None or wanted not in METHODS:
        return None  # wai-cors fails the preflight and, ignoring failures, passes it on
    allowed = ["Authorization"]
    requested = headers.get("access-control-request-headers")
    if requested is not None:
        allowed += [h.strip() for h in requested.split(",") if h.strip()]
    lowered = {h.lower() for h in allowed}
    allowed += [h for h in _SIMPLE_HEADERS if h.lower() not in lowered]
    out = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", ", ".join(METHODS)),
        ("Access-Control-Allow-Headers", ", ".join(allowed)),
        ("Access-Control-Max-Age", MAX_AGE),
    ]
    return Response(200, b"", out, None)
