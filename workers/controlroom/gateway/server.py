"""Process lifecycle: pool, schema cache (and its reload on NOTIFY pgrst), HTTP server, signals."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import asyncpg

from controlroom.gateway import db, functions, realtime, schema_cache
from controlroom.gateway.app import Gateway
from controlroom.gateway.config import GatewayConfig
from controlroom.gateway.http import serve
from controlroom.gateway.logs import RequestLog

RECONNECT_SECONDS = 1.0


class SchemaWatcher:
    """Keeps the schema cache current: loads it, then reloads on `NOTIFY pgrst, 'reload schema'`.

    A lost listener connection also triggers a reload once it is back, since notifications sent
    meanwhile were missed.
    """

    def __init__(self, gateway: Gateway, config: GatewayConfig, log: RequestLog) -> None:
        self._gateway = gateway
        self._config = config
        self._log = log
        self._reload_requested = asyncio.Event()
        self._generation = 0

    async def load(self, conn: asyncpg.Connection) -> None:
        self._generation += 1
        cache = await schema_cache.load(conn, self._config.schemas, self._generation)
        self._gateway.use_cache(cache)
        self._log.event(
            "schema_cache_loaded",
            generation=self._generation,
            functions=sum(len(v) for v in cache.routines.values()),
            relations=len(cache.relations),
        )

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        if payload in ("reload schema", ""):
            self._reload_requested.set()

    async def run(self, ready: asyncio.Event) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(
                    self._config.db_uri, server_settings={"application_name": "lcr-gateway-listener"}
                )
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(self._config.channel, self._notified)
                await self.load(conn)
                ready.set()
                while not lost.is_set():
                    waiter = asyncio.ensure_future(self._reload_requested.wait())
                    lost_waiter = asyncio.ensure_future(lost.wait())
                    await asyncio.wait({waiter, lost_waiter}, return_when=asyncio.FIRST_COMPLETED)
                    waiter.cancel()
                    lost_waiter.cancel()
                    if self._reload_requested.is_set() and not lost.is_set():
                        self._reload_requested.clear()
                        await self.load(conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self._log.event("schema_listener_error", error=repr(exc))
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=1)
            await asyncio.sleep(RECONNECT_SECONDS)


async def main(config: GatewayConfig) -> None:
    log = RequestLog()
    pool = db.Pool(config.db_uri, config.pool_size)
    await pool.open()
    edge = functions.FunctionsRoute.from_env()
    gateway = Gateway(config, pool, log, edge)
    watcher = SchemaWatcher(gateway, config, log)
    ready = asyncio.Event()
    watch_task = asyncio.create_task(watcher.run(ready))
    await ready.wait()
    hub = realtime.Hub(gateway.auth)
    realtime_task = asyncio.create_task(
        hub.listen(config.db_uri, lambda exc: log.event("realtime_listener_error", error=repr(exc)))
    )
    server = await serve(
        gateway.handle, config.host, config.port, config.limits, gateway.screen, gateway.refused, hub.upgrade
    )
    log.event("listening", host=config.host, port=config.port, schemas=list(config.schemas))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()
    for task in (watch_task, realtime_task):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await pool.close()
    await edge.close()
    log.event("stopped")
