"""JWTs for the Data API, minted from the project JWT secret (server-side only).

The anon and service-role keys have Supabase's legacy API-key shape: HS256, `role` claim, no `sub`.
Executor tokens carry the least-privilege executor role plus the pool (and optional workspace)
scope that the control plane checks on every executor RPC.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

EXECUTOR_ROLE = "controlroom_executor"
TEN_YEARS = 10 * 365 * 24 * 3600


class MissingSecret(Exception):
    """Raised when a token is asked for without SUPABASE_JWT_SECRET."""


def _require(secret: str | None) -> str:
    if not secret:
        raise MissingSecret(
            "SUPABASE_JWT_SECRET is not set, so no token can be signed. Tokens are minted server-side "
            'from the project\'s JWT secret: run `eval "$(controlroom env)"` for the local stack, or '
            "export the secret from your Supabase project's API settings on a trusted host."
        )
    return secret


def sign(claims: dict[str, Any], secret: str | None) -> str:
    return jwt.encode(claims, _require(secret), algorithm="HS256")


def api_key(role: str, secret: str | None, issued_at: int) -> str:
    """A long-lived API key (anon or service_role), as Supabase issues them."""
    claims = {
        "iss": "supabase-local",
        "ref": "controlroom",
        "role": role,
        "iat": issued_at,
        "exp": issued_at + TEN_YEARS,
    }
    return sign(claims, secret)


def executor_token(
    secret: str | None,
    *,
    pool: str,
    workspace_id: str | None = None,
    ttl_seconds: int = 24 * 3600,
    now: int | None = None,
) -> str:
    """An executor credential: role controlroom_executor, scoped to one pool (and workspace)."""
    if ttl_seconds <= 0:
        raise ValueError("ttl must be a positive number of seconds")
    issued = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": "controlroom",
        "sub": str(uuid.uuid4()),
        "role": EXECUTOR_ROLE,
        "pool": pool,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if workspace_id is not None:
        claims["workspace_id"] = workspace_id
    return sign(claims, secret)
