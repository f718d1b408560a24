"""supabase-py end to end through the gateway: what a worker does, call by call, and the fencing."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import psycopg
import pytest

from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import (
    ConfigurationError,
    Forbidden,
    InvalidInput,
    LeaseLost,
    NotFound,
    PayloadTooLarge,
)
from controlroom.client.models import Completion
from tests.conftest import Pipeline


def test_a_worker_registers_claims_heartbeats_emits_and_completes(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane]
) -> None:
    run = service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name, params={"who": "http"})
    worker = executor_plane(pipeline.pool)
    me = worker.register_executor(labels={}, version="test", host="pytest")
    assert me.pool == pipeline.pool

    claimed = worker.claim_runs(me.id, max_runs=5)
    assert [c.run_id for c in claimed] == [run.id]
    lease = claimed[0].lease_token
    assert claimed[0].spec_body["name"] == "hello"
    assert claimed[0].params == {"who": "http"}

    assert worker.start_run(lease).run_status == "running"
    beats = worker.heartbeat(me.id, [lease])
    assert [(b.lease, b.directive) for b in beats] == [(lease, "continue")]
    events = [{"seq": i, "type": "phase.log", "message": f"line {i}", "payload": {"i": i}} for i in range(1, 4)]
    assert worker.emit_events(lease, events).accepted == 3
    assert worker.emit_events(lease, events).duplicates == 3  # a retried batch stores nothing twice
    done = worker.complete_run(lease, {"rows": 1})
    assert (done.outcome, done.run_status) == ("accepted", "succeeded")
    assert worker.complete_run(lease, {"rows": 1}).outcome == "duplicate"

    board = service_plane.select("runs", columns="id,status", filters={"id": f"eq.{run.id}"})
    assert board == [{"id": str(run.id), "status": "succeeded"}]


def test_a_stale_lease_surfaces_as_lease_lost(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane], database_url: str
) -> None:
    run = service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name)
    worker = executor_plane(pipeline.pool)
    me = worker.register_executor()
    lease = worker.claim_runs(me.id)[0].lease_token
    worker.start_run(lease)
    with psycopg.connect(database_url, autocommit=True) as conn:
        # An hour later, by the control plane's clock: the lease is stale and the run requeued.
        conn.execute(
            "select public.requeue_stale_runs(pg_catalog.now() + interval '1 hour', %s)", (pipeline.workspace_id,)
        )
    beats = worker.heartbeat(me.id, [lease])
    assert beats[0].directive == "lease_lost"
    with pytest.raises(LeaseLost) as refused:
        worker.complete_run(lease, {})
    assert refused.value.code == "PT409"
    assert refused.value.hint
    rows = service_plane.select(
        "run_events", columns="type", filters={"run_id": f"eq.{run.id}", "type": "eq.lease.rejected"}
    )
    assert rows == [{"type": "lease.rejected"}]


def test_refusals_map_to_exception_classes(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane]
) -> None:
    worker = executor_plane(pipeline.pool)
    me = worker.register_executor()
    with pytest.raises(NotFound):
        worker.start_run("00000000-0000-4000-8000-000000000000")
    with pytest.raises(InvalidInput):
        worker.claim_runs(me.id, max_runs=0)
    with pytest.raises(Forbidden):
        service_plane.claim_runs(me.id)  # the service role is no executor
    with pytest.raises(NotFound):
        service_plane.submit_run(pipeline.workspace_id, spec_name="no-such-spec")


def test_a_wrong_key_or_url_is_a_configuration_error(api_env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        ControlPlane.connect("not-a-url", api_env["SUPABASE_ANON_KEY"])
    forged = ControlPlane.connect(api_env["SUPABASE_URL"], api_env["SUPABASE_ANON_KEY"][:-4] + "AAAA")
    with pytest.raises(ConfigurationError):
        forged.submit_run("00000000-0000-4000-8000-000000000000", spec_name="x")


def test_a_worker_claims_started_runs_and_completes_them_in_one_call(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane], database_url: str
) -> None:
    runs = [service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name) for _ in range(3)]
    worker = executor_plane(pipeline.pool)
    me = worker.register_executor()
    claimed = worker.claim_runs(me.id, max_runs=5, start=True)
    assert sorted(c.run_id for c in claimed) == sorted(r.id for r in runs)
    assert worker.start_run(claimed[0].lease_token).outcome == "duplicate"  # already started by the claim

    first = [
        Completion(
            lease=claimed[0].lease_token,
            result={"rows": 1},
            events=[{"type": "phase.finished", "seq": 7, "phase": "main"}],
        ),
        Completion(lease=claimed[1].lease_token),
    ]
    done = worker.complete_runs(me.id, first)
    assert [(r.item, r.outcome, r.code, r.run_status) for r in done] == [
        (0, "accepted", None, "succeeded"),
        (1, "accepted", None, "succeeded"),
    ]
    assert [r.events_accepted for r in done] == [1, 0]

    stale = claimed[2].lease_token
    with psycopg.connect(database_url, autocommit=True) as conn:
        # An hour later, by the control plane's clock: the third lease is stale and its run requeued.
        conn.execute(
            "select public.requeue_stale_runs(pg_catalog.now() + interval '1 hour', %s)", (pipeline.workspace_id,)
        )
    unknown = UUID("00000000-0000-4000-8000-000000000000")
    replies = worker.complete_runs(
        me.id, [*first, Completion(lease=stale, events=[{"type": "log"}]), Completion(lease=unknown)]
    )
    assert [(r.item, r.outcome, r.code) for r in replies] == [
        (0, "duplicate", None),
        (1, "duplicate", None),
        (2, "rejected", "PT409"),
        (3, "not_found", "PT404"),
    ]
    assert [r.ok for r in replies] == [True, True, False, False]
    assert [r.events_accepted for r in replies] == [0, 0, 0, 0]  # a retried call stores nothing twice
    assert "lost" in (replies[2].message or "")

    with pytest.raises(InvalidInput):
        worker.complete_runs(me.id, [Completion(lease=unknown)] * 2)
    with pytest.raises(PayloadTooLarge):
        worker.complete_runs(me.id, [Completion(lease=UUID(int=i + 1)) for i in range(101)])


def test_a_run_level_event_without_a_phase_is_stored_with_its_batch(
    service_plane: ControlPlane,
    pipeline: Pipeline,
    executor_plane: Callable[[str], ControlPlane],
    db: psycopg.Connection,
) -> None:
    """The executor's batcher sends run-level events (artifact.failed outside a phase) next to phase
    ones (no phase): the control plane must not refuse the whole batch for them."""
    from controlroom.executor.events import EventBatcher

    run = service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name)
    worker = executor_plane(pipeline.pool)
    me = worker.register_executor()
    lease = str(worker.claim_runs(me.id, start=True)[0].lease_token)
    refused: list[Exception] = []

    def send(lease: str, events: list[dict[str, object]]) -> None:
        worker.emit_events(lease, events)

    batcher = EventBatcher(send, on_error=lambda _lease, exc: refused.append(exc))
    batcher.add(lease, "phase.log", phase="greet", message="in a phase")
    batcher.add(lease, "artifact.failed", level="error", message="outside any phase")
    batcher.flush(lease)
    assert refused == []
    rows = db.execute(
        "select type, phase from public.run_events"
        " where run_id = %s and type in ('phase.log', 'artifact.failed') order by seq",
        [run.id],
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("phase.log", "greet"), ("artifact.failed", None)]
