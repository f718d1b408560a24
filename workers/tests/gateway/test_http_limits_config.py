"""The HTTP limits come from CONTROLROOM_API_* variables with documented defaults; bad values are refused."""

from __future__ import annotations

import pytest

from controlroom.gateway.config import ConfigError, GatewayConfig, HttpLimits

BASE = {"PGRST_DB_URI": "postgresql://authenticator@127.0.0.1/postgres", "CONTROLROOM_ANON_KEY": "k"}


def test_defaults() -> None:
    limits = GatewayConfig.from_env(BASE).limits
    assert limits == HttpLimits()
    assert limits.max_body_bytes == 16 * 1024 * 1024
    assert (limits.max_header_bytes, limits.max_headers) == (32 * 1024, 100)
    assert (limits.header_timeout, limits.body_timeout, limits.idle_timeout) == (10.0, 30.0, 60.0)
    assert limits.max_connections == 1024


def test_every_limit_is_settable() -> None:
    env = {
        **BASE,
        "CONTROLROOM_API_MAX_BODY_BYTES": "1048576",
        "CONTROLROOM_API_MAX_HEADER_BYTES": "8192",
        "CONTROLROOM_API_MAX_HEADERS": "50",
        "CONTROLROOM_API_HEADER_TIMEOUT_SECONDS": "2.5",
        "CONTROLROOM_API_BODY_TIMEOUT_SECONDS": "5",
        "CONTROLROOM_API_IDLE_TIMEOUT_SECONDS": "7",
        "CONTROLROOM_API_MAX_CONNECTIONS": "64",
    }
    assert GatewayConfig.from_env(env).limits == HttpLimits(1048576, 8192, 50, 2.5, 5.0, 7.0, 64)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONTROLROOM_API_MAX_BODY_BYTES", "0"),
        ("CONTROLROOM_API_MAX_BODY_BYTES", "1MB"),
        ("CONTROLROOM_API_MAX_HEADERS", "-1"),
        ("CONTROLROOM_API_HEADER_TIMEOUT_SECONDS", "0"),
        ("CONTROLROOM_API_IDLE_TIMEOUT_SECONDS", "inf"),
        ("CONTROLROOM_API_BODY_TIMEOUT_SECONDS", "soon"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        GatewayConfig.from_env({**BASE, name: value})
