"""With a `postgrest` binary on PATH the gateway fronts it; without one the stand-in serves.

Pure unit checks: the real binary cannot be exercised here.
"""

from __future__ import annotations

from controlroom.gateway import proxy
from controlroom.gateway.config import GatewayConfig

ENV = {
    "PGRST_DB_URI": "postgresql://authenticator:pw@127.0.0.1:5432/postgres",  # pragma: allowlist secret
    "PGRST_DB_SCHEMAS": "public",
    "CONTROLROOM_API_SCHEMAS": "contract_fixtures",
    "PGRST_DB_ANON_ROLE": "anon",
    "PGRST_JWT_SECRET": "s" * 40,
    "PGRST_DB_MAX_ROWS": "1000",
    "CONTROLROOM_ANON_KEY": "k",
}


def test_real_postgrest_is_selected_when_on_path() -> None:
    assert proxy.postgrest_binary(lambda name: f"/opt/bin/{name}") == "/opt/bin/postgrest"


def test_stand_in_is_selected_otherwise() -> None:
    assert proxy.postgrest_binary(lambda name: None) is None


def test_generated_postgrest_config_carries_the_settings() -> None:
    text = proxy.postgrest_config(GatewayConfig.from_env(ENV), 4000)
    assert 'db-schemas = "public,contract_fixtures"' in text
    assert 'db-anon-role = "anon"' in text
    assert "db-max-rows = 1000" in text
    assert "server-port = 4000" in text
