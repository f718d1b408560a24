"""Gateway configuration, read from PostgREST's own PGRST_* variables (plus Kong's two API keys)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _split(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


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
        )
