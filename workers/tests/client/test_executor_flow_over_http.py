"""supabase-py end to end through the gateway: what a worker does, call by call, and the fencing."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import ConfigurationError, Forbidden, InvalidInput, LeaseLost, NotFound
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
