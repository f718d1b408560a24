"""SQLSTATE → HTTP status, in the order PostgREST evaluates it (Error.hs `mapSQLtoHTTP`)."""

from __future__ import annotations

from controlroom.gateway.digits import ascii_int

_PREFIX2 = {
    "08": 503,
    "09": 500,
    "0L": 403,
    "0P": 403,
    "28": 403,
    "2D": 500,
    "38": 500,
    "39": 500,
    "3B": 500,
    "40": 500,
    "53": 503,
    "54": 500,
    "55": 500,
    "58": 500,
    "F0": 500,
    "HV": 500,
    "XX": 500,
    "25": 500,
}
_EXACT = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "53400": 500,
    "57P01": 503,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
    "P0001": 400,
}


def http_status(sqlstate: str, message: str, *, authenticated: bool) -> int:
    """`authenticated` means the request's role is not the anon role (42501 → 403 rather than 401)."""
    if sqlstate in _EXACT:
        return _EXACT[sqlstate]
    if sqlstate == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if sqlstate == "22023":
        return 401 if message.startswith("role ") and message.endswith("does not exist") else 400
    if sqlstate == "42501":
        return 403 if authenticated else 401
    if sqlstate.startswith("PT"):
        status = ascii_int(sqlstate[2:])
        return status if status is not None and 100 <= status <= 599 else 500
    if sqlstate.startswith("57"):
        return 500
    if sqlstate.startswith("P0"):
        return 500
    return _PREFIX2.get(sqlstate[:2], 400)
