"""Gateway configuration, read from PostgREST's own PGRST_* variables (plus Kong's two API keys and
the HTTP limits Kong/Envoy would enforce in front of PostgREST: CONTROLROOM_API_*)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _split(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value is None or value < 1:
        raise ConfigError(f"{name}={env.get(name)!r} must be a positive integer.")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds.") from None
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name}={raw!r} must be a positive number of seconds.")
    return value


@dataclass(frozen=True)
class HttpLimits:
    """What one client may make the HTTP server hold: PostgREST itself has none of these, because on
    Supabase it sits behind Kong/Envoy, which do. Defaults and reasons: docs/gateway.md ("Limits")."""

    max_body_bytes: int = 16 * 1024 * 1024  # CONTROLROOM_API_MAX_BODY_BYTES → 413
    max_header_bytes: int = 32 * 1024  # CONTROLROOM_API_MAX_HEADER_BYTES (request line + headers) → 431
    max_headers: int = 100  # CONTROLROOM_API_MAX_HEADERS → 431
    header_timeout: float = 10.0  # CONTROLROOM_API_HEADER_TIMEOUT_SECONDS: first byte → end of head; 408
    body_timeout: float = 30.0  # CONTROLROOM_API_BODY_TIMEOUT_SECONDS: between two reads of a body; 408
    idle_timeout: float = 60.0  # CONTROLROOM_API_IDLE_TIMEOUT_SECONDS: keep-alive without a request; close
    max_connections: int = 1024  # CONTROLROOM_API_MAX_CONNECTIONS per process; closed at once beyond it

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HttpLimits:
        d = cls()
        return cls(
            max_body_bytes=_positive_int(env, "CONTROLROOM_API_MAX_BODY_BYTES", d.max_body_bytes),
            max_header_bytes=_positive_int(env, "CONTROLROOM_API_MAX_HEADER_BYTES", d.max_header_bytes),
            max_headers=_positive_int(env, "CONTROLROOM_API_MAX_HEADERS", d.max_headers),
            header_timeout=_seconds(env, "CONTROLROOM_API_HEADER_TIMEOUT_SECONDS", d.header_timeout),
            body_timeout=_seconds(env, "CONTROLROOM_API_BODY_TIMEOUT_SECONDS", d.body_timeout),
            idle_timeout=_seconds(env, "CONTROLROOM_API_IDLE_TIMEOUT_SECONDS", d.idle_timeout),
            max_connections=_positive_int(env, "CONTROLROOM_API_MAX_CONNECTIONS", d.max_connections),
        )


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer.") from None


@dataclass(frozen=True)
class GatewayConfig:
    db_uri: str
    schemas: tuple[str, ...]
    anon_role: str | None
    extra_search_path: tuple[str, ...]
    max_rows: int | None
    jwt_secret: str | None
    host: str
    port: int
    api_keys: frozenset[str]
    pool_size: int
    channel: str = "pgrst"
    limits: HttpLimits = HttpLimits()

    @property
    def default_schema(self) -> str:
        return self.schemas[0]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewayConfig:
        env = os.environ if env is None else env
        db_uri = env.get("PGRST_DB_URI", "")
        if not db_uri:
            raise ConfigError("PGRST_DB_URI is not set: give the authenticator's connection URI.")
        # CONTROLROOM_API_SCHEMAS exposes extra schemas (e.g. test fixtures) without editing the stack.
        schemas: list[str] = []
        for name in (*_split(env.get("PGRST_DB_SCHEMAS") or "public"), *_split(env.get("CONTROLROOM_API_SCHEMAS"))):
            if name not in schemas:
                schemas.append(name)
        keys = frozenset(k for k in (env.get("CONTROLROOM_ANON_KEY"), env.get("CONTROLROOM_SERVICE_ROLE_KEY")) if k)
        if not keys:
            raise ConfigError(
                "Neither CONTROLROOM_ANON_KEY nor CONTROLROOM_SERVICE_ROLE_KEY is set; "
                "the gateway accepts only those two apikey values."
            )
        return cls(
            db_uri=db_uri,
            schemas=tuple(schemas),
            anon_role=env.get("PGRST_DB_ANON_ROLE") or None,
            extra_search_path=_split(env.get("PGRST_DB_EXTRA_SEARCH_PATH", "public")),
            max_rows=_int(env, "PGRST_DB_MAX_ROWS", None),
            jwt_secret=env.get("PGRST_JWT_SECRET") or None,
            host=env.get("PGRST_SERVER_HOST") or "127.0.0.1",
            port=_int(env, "PGRST_SERVER_PORT", 3000) or 3000,
            api_keys=keys,
            pool_size=_int(env, "PGRST_DB_POOL", 10) or 10,
            channel=env.get("PGRST_DB_CHANNEL") or "pgrst",
            limits=HttpLimits.from_env(env),
        )
