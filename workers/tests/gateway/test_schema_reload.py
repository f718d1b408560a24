"""The schema cache follows `NOTIFY pgrst, 'reload schema'`."""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql

from .conftest import SCHEMA, Api, wait_until


def test_new_function_becomes_callable_after_notify(api: Api, superuser_url: str) -> None:
    name = f"reloaded_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("create function {}() returns text language sql immutable as $$ select 'fresh' $$").format(
                sql.Identifier(SCHEMA, name)
            )
        )
        conn.execute(sql.SQL("grant execute on function {}() to anon").format(sql.Identifier(SCHEMA, name)))
        conn.execute("notify pgrst, 'reload schema'")
    wait_until(lambda: api.rpc(name).status_code == 200, f"{name} to appear after NOTIFY pgrst")
    assert api.rpc(name).json() == "fresh"
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop function {}()").format(sql.Identifier(SCHEMA, name)))
        conn.execute("notify pgrst, 'reload schema'")
    wait_until(lambda: api.rpc(name).status_code == 404, f"{name} to disappear after NOTIFY pgrst")
