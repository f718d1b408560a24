"""The authenticator's connection pool and PostgREST's per-request transaction.

Each request is BEGIN → one `set_config` statement (search_path, the role's own settings, hoisted
function settings, role, request.*) → the main statement → COMMIT, on one pooled connection.
The role is switched in its own statement before the main one is parsed and executed, so
EXECUTE/SELECT privileges and RLS are checked as the impersonated role.

The pool is a plain queue rather than asyncpg's: asyncpg's pool resets every connection on
release (one more round trip per request), and the transaction already leaves no session state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from controlroom.gateway.errors import ApiError

# set_config rows are produced in array order by unnest, and count() forces all of them.
PRELUDE = (
    "SELECT pg_catalog.count(pg_catalog.set_config(s.k, s.v, true)) "
    "FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS s(k, v)"
)
ISOLATION_LEVELS = {"read committed", "repeatable read", "serializable", "read uncommitted"}
ACQUIRE_TIMEOUT = 10.0


def begin_sql(read_only: bool, isolation: str | None) -> str:
    mode = "READ ONLY" if read_only else "READ WRITE"
    if isolation and isolation.lower() in ISOLATION_LEVELS:
        return f"BEGIN ISOLATION LEVEL {isolation.upper()} {mode}"
    return f"BEGIN {mode}"


class Pool:
    def __init__(self, dsn: str, size: int) -> None:
        self._dsn = dsn
        self._size = size
        self._idle: asyncio.Queue[asyncpg.Connection] = asyncio.Queue()
        self._generation = 0
        self._conn_generation: dict[int, int] = {}

    async def _connect(self) -> asyncpg.Connection:
        conn: asyncpg.Connection = await asyncpg.connect(
            self._dsn, statement_cache_size=2000, server_settings={"application_name": "lcr-gateway"}
        )
        self._conn_generation[id(conn)] = self._generation
        return conn

    async def open(self) -> None:
        for conn in await asyncio.gather(*(self._connect() for _ in range(self._size))):
            self._idle.put_nowait(conn)

    def invalidate(self) -> None:
        """After a schema reload, drop prepared statements (their result types may have changed)."""
        self._generation += 1

    async def acquire(self) -> asyncpg.Connection:
        try:
            conn = await asyncio.wait_for(self._idle.get(), ACQUIRE_TIMEOUT)
        except TimeoutError:
            raise ApiError(504, "PGRST003", "Timed out acquiring connection from connection pool.") from None
        if conn.is_closed() or self._conn_generation.get(id(conn)) != self._generation:
            self._conn_generation.pop(id(conn), None)
            with contextlib.suppress(Exception):
                await conn.close(timeout=1)
            try:
                conn = await self._connect()
            except (OSError, asyncpg.PostgresError) as exc:
                self._idle.put_nowait(conn)  # a closed placeholder: the next acquire retries the connect
                raise ApiError(503, "PGRST001", "Database client error. Retrying the connection.", str(exc)) from None
        return conn

    def release(self, conn: asyncpg.Connection) -> None:
        self._idle.put_nowait(conn)

    async def close(self) -> None:
        while not self._idle.empty():
            conn = self._idle.get_nowait()
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)


async def run(
    pool: Pool,
    *,
    begin: str,
    keys: Sequence[str],
    values: Sequence[str],
    sql: str,
    args: Sequence[object],
    check: Callable[[Any], None],
) -> Any:
    """Run the request's transaction; `check` may raise ApiError to roll it back (e.g. PGRST116)."""
    conn = await pool.acquire()
    try:
        await conn.execute(begin)
        try:
            await conn.fetchval(PRELUDE, keys, values)
            row = await conn.fetchrow(sql, *args)
            check(row)
        except BaseException:
            if not conn.is_closed():
                with contextlib.suppress(Exception):
                    await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
    except (OSError, asyncpg.InterfaceError) as exc:
        with contextlib.suppress(Exception):
            conn.terminate()
        raise ApiError(503, "PGRST001", "Database client error. Retrying the connection.", str(exc)) from None
    else:
        return row
    finally:
        pool.release(conn)
