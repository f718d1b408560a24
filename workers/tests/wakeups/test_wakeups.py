"""Push wake-ups end to end: the real `realtime` client against the local endpoint, fed by the
triggers on runs; and an executor that keeps working by polling when the endpoint dies."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from realtime import AsyncRealtimeClient, RealtimeSubscribeStates
from realtime.types import RealtimeChannelOptions

from controlroom import __version__, keys
from controlroom.artifacts import ArtifactStore
from controlroom.artifacts.client import s3_client
from controlroom.client.control_plane import ControlPlane
from controlroom.executor.loop import Executor, ExecutorOptions
from controlroom.executor.wakeups import WakeupSource, wake_topic
from controlroom.localstack.stack import LocalStack
from tests.conftest import Pipeline

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: another test in this process (Playwright's sync API) may
    keep an event loop running in the main thread, where asyncio.run refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


PRIVATE: RealtimeChannelOptions = {
    "config": {"private": True, "broadcast": {"ack": False, "self": False}, "presence": {"key": "", "enabled": False}}
}


async def _join(url: str, api_key: str, token: str, pool: str) -> tuple[AsyncRealtimeClient, list[Any], list[Any]]:
    client = AsyncRealtimeClient(f"{url}/realtime/v1", token=api_key, max_retries=1)
    await client.connect()
    await client.set_auth(token)
    states: list[Any] = []
    messages: list[Any] = []
    channel = client.channel(wake_topic(pool), PRIVATE)
    channel.on_broadcast("runs_claimable", messages.append)
    await channel.subscribe(lambda state, err: states.append((state, err)))
    return client, states, messages


def test_an_executor_token_joins_only_its_own_pools_topic(api_env: dict[str, str]) -> None:
    async def scenario() -> None:
        token = keys.executor_token(api_env["SUPABASE_JWT_SECRET"], pool="alpha", ttl_seconds=600)
        own, own_states, _ = await _join(api_env["SUPABASE_URL"], api_env["SUPABASE_ANON_KEY"], token, "alpha")
        other, other_states, _ = await _join(api_env["SUPABASE_URL"], api_env["SUPABASE_ANON_KEY"], token, "beta")
        await own.close()
        await other.close()
        assert own_states == [(RealtimeSubscribeStates.SUBSCRIBED, None)]
        state, err = other_states[0]
        assert state == RealtimeSubscribeStates.CHANNEL_ERROR
        assert (
            "Unauthorized: You do not have permissions to read from this Channel topic: controlroom:wake:beta"
            in str(err)
        )

    _run(scenario())


def test_a_socket_without_a_valid_apikey_is_refused(api_env: dict[str, str]) -> None:
    async def scenario() -> None:
        client = AsyncRealtimeClient(f"{api_env['SUPABASE_URL']}/realtime/v1", token="not-a-jwt", max_retries=1)
        with pytest.raises(Exception, match="403"):
            await client.connect()

    _run(scenario())


def test_a_submit_wakes_one_registered_executor_of_the_pool(
    api_env: dict[str, str],
    pipeline: Pipeline,
    service_plane: ControlPlane,
    executor_plane: Callable[[str], ControlPlane],
) -> None:
    plane = executor_plane(pipeline.pool)
    me = plane.register_executor(pool=pipeline.pool, labels={}, version=__version__, host="test")
    token = keys.executor_token(api_env["SUPABASE_JWT_SECRET"], pool=pipeline.pool, ttl_seconds=600)

    async def scenario() -> list[Any]:
        client, states, messages = await _join(
            api_env["SUPABASE_URL"], api_env["SUPABASE_ANON_KEY"], token, pipeline.pool
        )
        assert states == [(RealtimeSubscribeStates.SUBSCRIBED, None)]
        await asyncio.to_thread(lambda: service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name))
        for _ in range(100):
            if messages:
                break
            await asyncio.sleep(0.02)
        await client.close()
        return messages

    messages = _run(scenario())
    assert len(messages) == 1
    payload = messages[0]["payload"]
    assert payload["pool"] == pipeline.pool
    assert payload["runs"] == 1
    assert payload["executors"] == [str(me.id)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def realtime_endpoint(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A gateway process of the test's own, so killing its Realtime endpoint leaves the stack's API up."""
    port = _free_port()
    env = {
        **os.environ,
        **LocalStack().api.environment(),
        "PGRST_SERVER_PORT": str(port),
        "CONTROLROOM_API_WORKERS": "1",
    }
    with open(tmp_path / "gateway.log", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "controlroom.gateway"], env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert proc.poll() is None, (tmp_path / "gateway.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "gateway.log").read_text()
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_work_goes_on_by_polling_when_the_realtime_endpoint_dies(
    api_env: dict[str, str],
    pipeline: Pipeline,
    service_plane: ControlPlane,
    realtime_endpoint: tuple[str, subprocess.Popen[bytes]],
    db: psycopg.Connection,
) -> None:
    url, proc = realtime_endpoint
    token = keys.executor_token(api_env["SUPABASE_JWT_SECRET"], pool=pipeline.pool, ttl_seconds=600)
    plane = ControlPlane.connect(api_env["SUPABASE_URL"], api_env["SUPABASE_ANON_KEY"], access_token=token)
    store = ArtifactStore(s3_client(os.environ.get("S3_ENDPOINT_URL") or None, None), "controlroom-artifacts")
    # A fallback far beyond the test's waits: a run picked up while subscribed was woken, not polled.
    options = ExecutorOptions(
        pool=pipeline.pool,
        poll_ceiling_seconds=0.1,
        event_flush_seconds=0.1,
        wakeups=WakeupSource(url, api_env["SUPABASE_ANON_KEY"], token, fallback_poll_seconds=60),
    )
    executor = Executor(plane, store, options)
    thread = threading.Thread(target=executor.run, daemon=True)
    thread.start()
    try:
        assert _wait(lambda: executor.wakeups is not None and executor.wakeups.subscribed, 10)
        time.sleep(0.5)  # the loop is now waiting at the 60 s fallback
        first = service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name)
        assert _wait(lambda: len(executor.outcomes) == 1, 10), "the wake-up did not reach the executor"
        assert executor.wakeups is not None
        assert executor.wakeups.received >= 1

        proc.kill()  # the Realtime endpoint dies; the control plane's HTTP API stays up
        proc.wait(10)
        assert _wait(lambda: executor.wakeups is not None and not executor.wakeups.subscribed, 10)
        second = service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name)
        assert _wait(lambda: len(executor.outcomes) == 2, 10), "polling did not take over"
        statuses = db.execute("select status from public.runs where id = any(%s)", ([first.id, second.id],)).fetchall()
        assert sorted(s for (s,) in statuses) == ["succeeded", "succeeded"]
    finally:
        executor.shutting_down.set()
        executor._work_done.set()
        thread.join(30)
        plane.close()


def test_a_run_finishing_under_a_concurrency_cap_wakes_its_pool(
    database_url: str,
    pipeline: Pipeline,
    service_plane: ControlPlane,
    executor_plane: Callable[[str], ControlPlane],
) -> None:
    """The second run waits for room (max 1 at once), not for a status change: the first run's
    completion is what makes it claimable, so that completion must wake the pool."""
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("select public.set_workspace_limits(%s, '{\"max_concurrent_runs\": 1}')", [pipeline.workspace_id])
    plane = executor_plane(pipeline.pool)
    me = plane.register_executor(pool=pipeline.pool)
    service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name)
    service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name)
    claimed = plane.claim_runs(me.id, 2, start=True)
    assert len(claimed) == 1, "the cap lets one run of the workspace run at once"
    with psycopg.connect(database_url, autocommit=True) as listener:
        listener.execute("listen controlroom_wake")
        assert plane.complete_run(claimed[0].lease_token).outcome == "accepted"
        woken = [
            n.payload
            for n in listener.notifies(timeout=5, stop_after=1)
            if f'"pool": "{pipeline.pool}"' in n.payload or f'"pool":"{pipeline.pool}"' in n.payload
        ]
    assert woken, "finishing the run that held the room woke nobody"
    assert plane.claim_runs(me.id, 1, start=True), "the waiting run is claimable now"
