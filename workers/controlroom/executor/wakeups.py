"""Push wake-ups: the executor listens on its pool's Realtime topic and claims when told to.

The control plane broadcasts `runs_claimable` on `controlroom:wake:<pool>` when a statement makes
runs of the pool claimable, naming the executors to wake (one per new run; docs/realtime.md). With
the subscription up, the claim loop's adaptive polling is only the fallback, at a ceiling of seconds,
so a missed message delays work by at most that much and an idle executor costs next to nothing.

supabase-py's own Realtime client (the `realtime` package) runs unchanged on an asyncio loop in a
daemon thread. It reconnects by itself a few times; when it gives up, this module starts a new
client after a backoff (1 s doubling to 30 s), and the loop polls at its normal ceiling meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from realtime import AsyncRealtimeClient, RealtimeSubscribeStates
from realtime.types import RealtimeChannelOptions

from controlroom.executor.logs import JsonLog

EVENT = "runs_claimable"
DEFAULT_FALLBACK_POLL_SECONDS = 5.0
RECONNECT_FLOOR_SECONDS = 1.0
RECONNECT_CEILING_SECONDS = 30.0
CHECK_SECONDS = 0.5


def wake_topic(pool: str) -> str:
    """private.wake_topic(pool): the client adds the realtime: prefix of the channel."""
    return f"controlroom:wake:{pool}"


@dataclass(frozen=True)
class WakeupSource:
    """Where wake-ups come from: the project URL, its anon key (the socket's apikey, as supabase-py
    sends it) and the executor's JWT (the channel's access_token, authorised per pool)."""

    url: str
    api_key: str
    access_token: str
    fallback_poll_seconds: float = DEFAULT_FALLBACK_POLL_SECONDS


def fallback_wait(seconds: float, rng: random.Random) -> float:
    """How long a subscribed, idle executor waits before polling the claim anyway. The poll only
    catches a missed message, so it happens once per fallback interval, jittered upwards (1 to
    1.25 × the interval): a fleet subscribed together does not poll together, and no executor polls
    more than once an interval (no adaptive ramp from 10 ms: new work arrives by message)."""
    return rng.uniform(seconds, seconds * 1.25)


def addressed_to(payload: dict[str, Any], executor_id: str) -> bool:
    """Whether a wake-up names this executor (a message naming nobody wakes everyone)."""
    executors = payload.get("executors")
    return not isinstance(executors, list) or executor_id in executors


def delay_until(not_before: object, now: float) -> float:
    """Seconds until the earliest of the new runs becomes claimable (0 when it already is)."""
    if not isinstance(not_before, str):
        return 0.0
    try:
        at = datetime.fromisoformat(not_before).timestamp()
    except ValueError:
        return 0.0
    return max(0.0, at - now)


class Wakeups:
    """Subscribes executor `executor_id` to its pool's wake topic; calls `wake` when addressed."""

    def __init__(
        self, source: WakeupSource, pool: str, executor_id: str, wake: Callable[[], None], log: JsonLog
    ) -> None:
        self._source = source
        self._pool = pool
        self._executor_id = executor_id
        self._wake = wake
        self._log = log
        self._subscribed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="wakeups", daemon=True)
        self.received = 0

    @property
    def subscribed(self) -> bool:
        return self._subscribed.is_set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def wait_subscribed(self, timeout: float) -> bool:
        return self._subscribed.wait(timeout)

    # -- the listener thread --------------------------------------------------------------------
    def _main(self) -> None:
        asyncio.run(self._supervise())

    async def _supervise(self) -> None:
        backoff = RECONNECT_FLOOR_SECONDS
        while not self._stop.is_set():
            client = AsyncRealtimeClient(
                f"{self._source.url.rstrip('/')}/realtime/v1",
                token=self._source.api_key,
                max_retries=3,
                initial_backoff=0.2,
            )
            try:
                await self._listen(client)
                backoff = RECONNECT_FLOOR_SECONDS
            except Exception as exc:  # any failure of the client: start over after a backoff
                self._log("wakeups.lost", level="warning", error=repr(exc), retry_s=backoff)
            finally:
                if self._subscribed.is_set():
                    self._subscribed.clear()
                    # The loop may be waiting out a long fallback interval: it must poll at its
                    # normal ceiling from now on, so it is woken to notice.
                    self._wake()
                with contextlib.suppress(Exception):
                    await client.close()
            if self._stop.wait(0):
                break
            await asyncio.sleep(backoff)
            backoff = min(RECONNECT_CEILING_SECONDS, backoff * 2)

    async def _listen(self, client: AsyncRealtimeClient) -> None:
        await client.connect()
        await client.set_auth(self._source.access_token)
        options: RealtimeChannelOptions = {
            "config": {
                "private": True,
                "broadcast": {"ack": False, "self": False},
                "presence": {"key": "", "enabled": False},
            }
        }
        channel = client.channel(wake_topic(self._pool), options)
        channel.on_broadcast(EVENT, self._on_message)
        states: list[RealtimeSubscribeStates] = []
        await channel.subscribe(lambda state, _err: states.append(state))
        if RealtimeSubscribeStates.SUBSCRIBED not in states:
            raise ConnectionError(f"could not join {wake_topic(self._pool)}: {[s.value for s in states]}")
        self._subscribed.set()
        self._log("wakeups.subscribed", topic=wake_topic(self._pool))
        # Work that became claimable while the subscription was down is found by this poke.
        self._wake()
        while not self._stop.is_set():
            await asyncio.sleep(CHECK_SECONDS)
            if not client.is_connected or not channel.is_joined:
                raise ConnectionError("realtime connection lost")

    def _on_message(self, message: Any) -> None:
        payload = message.get("payload") if isinstance(message, dict) else None
        if not isinstance(payload, dict) or not addressed_to(payload, self._executor_id):
            return
        self.received += 1
        delay = delay_until(payload.get("not_before"), time.time())
        if delay > 0:
            timer = threading.Timer(delay, self._wake)
            timer.daemon = True
            timer.start()
        else:
            self._wake()
