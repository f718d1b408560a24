"""Kong's key-auth (the `apikey` header) and PostgREST's JWT → role step.

Tokens are HS256 only (a string `jwt-secret`), checked with PostgREST v13+'s error vocabulary
(PGRST301 decode errors, PGRST303 claim errors; v12 said PGRST301 for both). Signature checks
are cached per token string: executors send the same token thousands of times, and only the
time claims can change their verdict afterwards.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import orjson

from controlroom.gateway.errors import ApiError

SKEW_SECONDS = 30
_CACHE_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Identity:
    role: str
    claims_json: str
    authenticated: bool  # role differs from the anon role: 42501 becomes 403 instead of 401


@dataclass(frozen=True, slots=True)
class _Verified:
    claims: dict[str, Any]
    role: str | None
    claims_json: str


def check_api_key(headers: dict[str, str], accepted: frozenset[str]) -> None:
    key = headers.get("apikey")
    if key is None:
        raise ApiError(401, "", "No API key found in request")
    if key not in accepted:
        raise ApiError(401, "", "Invalid authentication credentials")


def _jwt_error(code: str, message: str, details: str | None = None) -> ApiError:
    header = f'Bearer error="invalid_token", error_description="{message}"'
    return ApiError(401, code, message, details, None, [("WWW-Authenticate", header)])


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class Authenticator:
    def __init__(self, secret: str | None, anon_role: str | None) -> None:
        self._key = secret.encode() if secret else None
        self._anon_role = anon_role
        self._cache: dict[str, _Verified] = {}
        anon_claims = orjson.dumps({"role": anon_role}).decode() if anon_role else ""
        self._anon = Identity(anon_role, anon_claims, False) if anon_role else None

    def identify(self, authorization: str | None, now: float | None = None) -> Identity:
        token = _bearer(authorization)
        if token is None:
            if self._anon is None:
                raise ApiError(
                    401, "PGRST302", "Anonymous access is disabled", None, None, [("WWW-Authenticate", "Bearer")]
                )
            return self._anon
        verified = self._cache.get(token)
        if verified is None:
            verified = self._verify(token)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[token] = verified
        _check_times(verified.claims, time.time() if now is None else now)
        role = verified.role or self._anon_role
        if role is None:
            raise ApiError(
                401, "PGRST302", "Anonymous access is disabled", None, None, [("WWW-Authenticate", "Bearer")]
            )
        return Identity(
            role, verified.claims_json if verified.role else _with_role(verified.claims, role), role != self._anon_role
        )

    def _verify(self, token: str) -> _Verified:
        if token == "":
            raise _jwt_error("PGRST301", "Empty JWT is sent in Authorization header")
        parts = token.split(".")
        if len(parts) != 3:
            raise _jwt_error("PGRST301", f"Expected 3 parts in JWT; got {len(parts)}")
        if self._key is None:
            raise ApiError(500, "PGRST300", "Server lacks JWT secret")
        try:
            header = orjson.loads(_b64(parts[0]))
        except (binascii.Error, ValueError):
            raise _jwt_error("PGRST301", "JWT cryptographic operation failed") from None
        alg = header.get("alg") if isinstance(header, dict) else None
        if alg == "none":
            raise _jwt_error(
                "PGRST301",
                "Wrong or unsupported encoding algorithm",
                "JWT is unsecured but expected 'alg' was not 'none'",
            )
        if alg != "HS256":
            raise _jwt_error("PGRST301", "Wrong or unsupported encoding algorithm", f"Unsupported alg: {alg}")
        expected = hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            signature = _b64(parts[2])
        except (binascii.Error, ValueError):
            signature = b""
        if not hmac.compare_digest(expected, signature):
            raise _jwt_error(
                "PGRST301", "No suitable key or wrong key type", "None of the keys was able to decode the JWT"
            )
        try:
            claims = orjson.loads(_b64(parts[1]))
        except (binascii.Error, ValueError):
            claims = None
        if not isinstance(claims, dict):
            raise _jwt_error("PGRST303", "Parsing claims failed")
        for claim in ("exp", "nbf", "iat"):
            value = claims.get(claim)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise _jwt_error("PGRST303", f"The JWT '{claim}' claim must be a number")
        aud = claims.get("aud")
        if aud is not None and not (
            isinstance(aud, str) or (isinstance(aud, list) and all(isinstance(a, str) for a in aud))
        ):
            raise _jwt_error("PGRST303", "The JWT 'aud' claim must be a string or an array of strings")
        raw_role = claims.get("role")
        role = (
            None if raw_role is None else (raw_role if isinstance(raw_role, str) else orjson.dumps(raw_role).decode())
        )
        return _Verified(claims, role, _with_role(claims, role) if role else "")


def _with_role(claims: dict[str, Any], role: str) -> str:
    return orjson.dumps({**claims, "role": role}).decode()


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def _check_times(claims: dict[str, Any], now: float) -> None:
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if exp is not None and int(now) - SKEW_SECONDS > int(exp):
        raise _jwt_error("PGRST303", "JWT expired")
    if nbf is not None and int(now) + SKEW_SECONDS < int(nbf):
        raise _jwt_error("PGRST303", "JWT not yet valid")
    if iat is not None and int(now) + SKEW_SECONDS < int(iat):
        raise _jwt_error("PGRST303", "JWT issued at future")
