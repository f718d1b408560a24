"""Contract tests for the Data API, written against behaviour so they also run against a real PostgREST.

Base URL: CONTROLROOM_CONTRACT_URL if set, else the local stack's SUPABASE_URL + /rest/v1. The fixture
objects live in the `contract_fixtures` schema, which the stack must expose
(CONTROLROOM_API_SCHEMAS=contract_fixtures when it starts). Under pytest-xdist every worker shares
one copy: the first worker in creates it, the last one out drops it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from controlroom import keys

SCHEMA = "contract_fixtures"
FIXTURES_SQL = Path(__file__).with_name("fixtures.sql")
STANDIN = "lcr-postgrest-standin"
DROP_SCHEMA = b"drop schema if exists contract_fixtures cascade"


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(
            f'{name} is not set: run the gateway tests against a started stack (`eval "$(controlroom env)"`).',
            returncode=2,
        )
    return value


class Api:
    """A thin HTTP client speaking to `/rest/v1` the way supabase-py does."""

    def __init__(self, base: str, anon_key: str, service_key: str, secret: str) -> None:
        self.base = base.rstrip("/")
        self.anon_key = anon_key
        self.service_key = service_key
        self.secret = secret
        self.http = httpx.Client(timeout=30)

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        return keys.sign({"iat": now, "exp": now + 600, **claims}, self.secret)

    def user_token(self, sub: str, role: str = "authenticated") -> str:
        return self.token(sub=sub, role=role, aud="authenticated", email=f"{sub[-4:]}@example.test")

    def headers(
        self, token: str | None = None, schema: str | None = SCHEMA, apikey: str | None = None, **extra: str
    ) -> dict[str, str]:
        out = {"apikey": apikey or self.anon_key, "Authorization": f"Bearer {token or self.anon_key}"}
        if schema is not None:
            out["Accept-Profile"] = schema
            out["Content-Profile"] = schema
        out.update({k.replace("_", "-"): v for k, v in extra.items()})
        return out

    def rpc(
        self,
        fn: str,
        body: Any = None,
        *,
        token: str | None = None,
        method: str = "POST",
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        schema: str | None = SCHEMA,
    ) -> httpx.Response:
        hdrs = self.headers(token, schema)
        hdrs.update(headers or {})
        if method == "POST":
            hdrs.setdefault("Content-Type", "application/json")
            return self.http.request(
                method, f"{self.base}/rpc/{fn}", json=body if body is not None else {}, headers=hdrs, params=params
            )
        return self.http.request(method, f"{self.base}/rpc/{fn}", headers=hdrs, params=params)

    def get(
        self,
        path: str,
        *,
        token: str | None = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        schema: str | None = SCHEMA,
    ) -> httpx.Response:
        hdrs = self.headers(token, schema)
        hdrs.update(headers or {})
        return self.http.get(f"{self.base}/{path}", headers=hdrs, params=params)


@pytest.fixture(scope="session")
def api(contract_schema: None) -> Iterator[Api]:
    client = Api(
        _contract_url(), _env("SUPABASE_ANON_KEY"), _env("SUPABASE_SERVICE_ROLE_KEY"), _env("SUPABASE_JWT_SECRET")
    )
    yield client
    client.http.close()


def _contract_url() -> str:
    return os.environ.get("CONTROLROOM_CONTRACT_URL") or _env("SUPABASE_URL") + "/rest/v1"


@pytest.fixture(scope="session")
def superuser_url() -> str:
    return _env("DATABASE_URL")


def _visible(url: str, anon_key: str) -> bool:
    resp = httpx.post(
        f"{url}/rpc/whoami",
        json={},
        timeout=10,
        headers={"apikey": anon_key, "Authorization": f"Bearer {anon_key}", "Content-Profile": SCHEMA},
    )
    return bool(resp.status_code == 200)


def wait_until(predicate: Any, what: str, timeout: float = 20.0) -> None:
    """Poll for an eventual state (a schema reload); fails with `what`, never asserts on timing."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def contract_schema(tmp_path_factory: pytest.TempPathFactory, superuser_url: str) -> Iterator[None]:
    # xdist workers share the run's base folder; a plain run uses its own (never a stale count).
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    lock_path, count_path = shared / "contract_fixtures.lock", shared / "contract_fixtures.users"
    url, anon = _contract_url(), _env("SUPABASE_ANON_KEY")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        users = int(count_path.read_text() or 0) if count_path.exists() else 0
        if users == 0:
            with psycopg.connect(superuser_url, autocommit=True) as conn:
                with conn.transaction():
                    conn.execute(DROP_SCHEMA)
                    conn.execute(FIXTURES_SQL.read_text().encode())
                conn.execute("notify pgrst, 'reload schema'")
        count_path.write_text(str(users + 1))
        fcntl.flock(lock, fcntl.LOCK_UN)
    probe = httpx.post(
        f"{url}/rpc/whoami",
        json={},
        timeout=10,
        headers={"apikey": anon, "Authorization": f"Bearer {anon}", "Content-Profile": SCHEMA},
    )
    if probe.status_code == 406:
        pytest.exit(
            f"The Data API at {url} does not expose the schema {SCHEMA}: start the stack with "
            f"CONTROLROOM_API_SCHEMAS={SCHEMA}.",
            returncode=2,
        )
    wait_until(lambda: _visible(url, anon), "the gateway to load the contract fixtures after NOTIFY pgrst")
    yield
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        users = int(count_path.read_text() or 1) - 1
        count_path.write_text(str(users))
        if users == 0:
            with psycopg.connect(superuser_url, autocommit=True) as conn:
                conn.execute(DROP_SCHEMA)
                conn.execute("notify pgrst, 'reload schema'")
        fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def standin(api: Api) -> bool:
    return bool(api.get("items", params={"limit": "1"}).headers.get("server") == STANDIN)


@pytest.fixture
def standin_only(standin: bool) -> None:
    if not standin:
        pytest.skip("stand-in behaviour (a real PostgREST implements this feature)")


def error(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    assert isinstance(body, dict), body
    return body
