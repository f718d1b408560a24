"""The executor's completion window: runs finishing together are completed in one complete_runs call."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import LeaseLost, Unavailable
from controlroom.client.models import Completion, CompletionReply
from controlroom.executor.completions import CompletionWindow
from tests.conftest import Pipeline


def _claim_started(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane], n: int
) -> tuple[ControlPlane, str, list[str]]:
    for _ in range(n):
        service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name)
    worker = executor_plane(pipeline.pool)
    me = str(worker.register_executor().id)
    leases = [str(c.lease_token) for c in worker.claim_runs(me, max_runs=n, start=True)]
    assert len(leases) == n
    return worker, me, leases


def _complete_all(window: CompletionWindow, leases: list[str]) -> list[object]:
    def one(lease: str) -> object:
        try:
            return window.complete(lease, {"lease": lease})
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(leases)) as pool:
        return list(pool.map(one, leases))


def test_runs_finishing_together_share_one_call(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane]
) -> None:
    worker, me, leases = _claim_started(service_plane, pipeline, executor_plane, 20)
    window = CompletionWindow(lambda items: worker.complete_runs(me, items), window=0.5)

    replies = _complete_all(window, leases)

    assert all(isinstance(r, CompletionReply) and r.outcome == "accepted" for r in replies), replies
    assert window.calls == 1  # one transaction for all twenty (the full window is 0.5 s)
    rows = service_plane.select("runs", columns="status", filters={"workspace_id": f"eq.{pipeline.workspace_id}"})
    assert [r["status"] for r in rows] == ["succeeded"] * 20


def test_a_full_batch_is_sent_without_waiting_out_the_window(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane]
) -> None:
    worker, me, leases = _claim_started(service_plane, pipeline, executor_plane, 6)
    window = CompletionWindow(lambda items: worker.complete_runs(me, items), window=60, max_items=3)

    replies = _complete_all(window, leases)  # would hang for a minute if a full batch waited

    assert all(isinstance(r, CompletionReply) for r in replies), replies
    assert window.calls >= 2


def test_a_fenced_run_gets_lease_lost_and_the_others_complete(
    service_plane: ControlPlane,
    pipeline: Pipeline,
    executor_plane: Callable[[str], ControlPlane],
    database_url: str,
) -> None:
    worker, me, leases = _claim_started(service_plane, pipeline, executor_plane, 3)
    with psycopg.connect(database_url, autocommit=True) as conn:
        # Only the first attempt's lease is stale: its heartbeat is an hour old.
        conn.execute(
            "update public.run_attempts set heartbeat_at = heartbeat_at - interval '1 hour', "
            "lease_expires_at = lease_expires_at - interval '1 hour' where lease_token = %s",
            (leases[0],),
        )
        conn.execute("select public.requeue_stale_runs(null, %s)", (pipeline.workspace_id,))
    window = CompletionWindow(lambda items: worker.complete_runs(me, items), window=0.2)

    replies = _complete_all(window, leases)

    assert isinstance(replies[0], LeaseLost)
    assert replies[0].code == "PT409"
    assert [getattr(r, "outcome", None) for r in replies[1:]] == ["accepted", "accepted"]


def test_a_failed_call_reaches_every_waiting_run() -> None:
    def down(items: list[Completion]) -> list[CompletionReply]:
        raise Unavailable("control plane unreachable")

    window = CompletionWindow(down, window=0.2)
    replies = _complete_all(window, [f"00000000-0000-4000-8000-{i:012d}" for i in range(5)])
    assert all(isinstance(r, Unavailable) for r in replies), replies


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CompletionWindow(lambda items: [], window=-1)
    with pytest.raises(ValueError, match="max_items"):
        CompletionWindow(lambda items: [], max_items=101)
