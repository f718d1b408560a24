"""Reports that cross an outage: a repeated completion is a success, and a heartbeat that races the
run's own completion is not a lost lease (issue 17, items 2 and 6). Against the real gateway."""

from __future__ import annotations

import io
from collections.abc import Callable

from controlroom.client.control_plane import ControlPlane
from controlroom.client.models import Completion
from controlroom.executor.completions import CompletionWindow
from controlroom.executor.heartbeat import Heartbeat
from controlroom.executor.leases import HeldRun, LeaseTable
from controlroom.executor.logs import JsonLog
from tests.conftest import Pipeline


def _running(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane]
) -> tuple[ControlPlane, str, HeldRun]:
    service_plane.submit_run(pipeline.workspace_id, spec_name=pipeline.spec_name)
    worker = executor_plane(pipeline.pool)
    me = worker.register_executor(labels={}, version="test", host="pytest")
    (claim,) = worker.claim_runs(me.id, max_runs=1, start=True)
    held = HeldRun(
        run_id=str(claim.run_id),
        attempt_id=str(claim.attempt_id),
        attempt_no=claim.attempt_no,
        lease=str(claim.lease_token),
        workspace_id=str(claim.workspace_id),
        spec=claim.spec_body,
        params=claim.params,
        spec_hash=claim.spec_hash,
        heartbeat_tolerance_seconds=claim.heartbeat_tolerance_seconds,
        started=True,
    )
    return worker, str(me.id), held


def test_a_completion_sent_again_after_a_lost_answer_is_a_success(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane]
) -> None:
    worker, executor_id, held = _running(service_plane, pipeline, executor_plane)
    window = CompletionWindow(lambda items: worker.complete_runs(executor_id, items), window=0)
    assert window.complete(held.lease, {"n": 1}).outcome == "accepted"
    # What the retry after a lost reply sends: answered `duplicate`, which is not an error.
    assert window.complete(held.lease, {"n": 1}).outcome == "duplicate"
    assert service_plane.select("runs", filters={"id": f"eq.{held.run_id}"})[0]["status"] == "succeeded"


def test_a_heartbeat_racing_the_runs_own_completion_logs_no_lost_lease(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane]
) -> None:
    worker, executor_id, held = _running(service_plane, pipeline, executor_plane)
    leases = LeaseTable()
    leases.add(held)
    out = io.StringIO()
    beat = Heartbeat(
        leases,
        lambda runs: {str(r.lease): r.directive for r in worker.heartbeat(executor_id, [x.lease for x in runs])},
        JsonLog(out),
    )
    # The run sends its final report (reporting is set first), and the report lands before the beat.
    held.reporting.set()
    worker.complete_runs(executor_id, [_completion(held.lease)])
    beat.beat_once()
    assert "lease_lost" not in out.getvalue()
    assert not held.lease_lost.is_set()


def test_a_heartbeat_still_reports_a_lease_lost_by_a_run_that_is_not_reporting(
    service_plane: ControlPlane, pipeline: Pipeline, executor_plane: Callable[[str], ControlPlane]
) -> None:
    """The other side of the race rule: a fenced attempt that did not report is stopped and logged."""
    worker, executor_id, held = _running(service_plane, pipeline, executor_plane)
    leases = LeaseTable()
    leases.add(held)
    out = io.StringIO()
    beat = Heartbeat(
        leases,
        lambda runs: {str(r.lease): r.directive for r in worker.heartbeat(executor_id, [x.lease for x in runs])},
        JsonLog(out),
    )
    # Someone else closed the attempt (here: its own completion, sent behind the executor's back).
    worker.complete_runs(executor_id, [_completion(held.lease)])
    beat.beat_once()
    assert '"directive":"lease_lost"' in out.getvalue()
    assert held.lease_lost.is_set()


def _completion(lease: str) -> Completion:
    return Completion.model_validate({"lease": lease})
