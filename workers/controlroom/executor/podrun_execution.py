"""One claimed run in a pod of its own (CONTROLROOM_RUN_LAUNCHER=kubernetes-job).

Everything around the phases is the in-process path's (executor/run.py): render and confine, vend the
run's credentials, start, reuse on repair, and one final report through the same methods (complete,
fail with the same error classes and kinds, cap_exceeded, confirm_cancel, nothing when the lease is lost).
Only running the phases differs: the executor writes the run's plan to S3, creates the run's Job (its
Secret holds only the vended credentials), and while the Job runs it keeps the lease (the executor's
heartbeat timer beats for it as for any held run), honours cancel and shutdown by deleting the Job
(Foreground), and bounds it twice: the Job's activeDeadlineSeconds, and its own timer in case the Job
controller does not. The pod writes its outcome next to the plan; the executor reads it back, replays the
phases' events, stores the python phases' results and the pod's log, and reports.
"""

from __future__ import annotations

import io
import math
import time
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import JsonValue, ValidationError

from controlroom import __version__
from controlroom.artifacts import ArtifactKey, Lineage
from controlroom.executor.podplan import (
    MAX_OUTCOME_BYTES,
    PlannedPhase,
    PodOutcome,
    PodPlan,
    outcome_key,
    pod_prefix,
)
from controlroom.executor.podrun import (
    POD_COMMAND,
    JobState,
    PodExit,
    PodJobGone,
    PodRunError,
    PodRunLauncher,
)
from controlroom.executor.run import ARTIFACT_STORE_UNAVAILABLE, RunExecution, RunOutcome
from controlroom.phases.failure_kinds import FailureKind
from controlroom.phases.models import CapBreach, CapName, PhaseCaps, PhaseResult
from controlroom.specs.render import RenderedPhase

# The pod ended without writing an outcome (it crashed, was evicted, or could not read its plan).
POD_FAILED = "pod_failed"
# The pod's outcome could not be read back or is not what a pod writes.
POD_OUTCOME_INVALID = "pod_outcome_invalid"
LOG_NAME = "logs/pod.log"
Unit = Literal["seconds", "cpu_seconds", "bytes", "rows"]


def pod_caps(phases: list[RenderedPhase], start_seconds: float, overhead_bytes: int) -> PhaseCaps:
    """The Job's bounds for all the run's phases, one after another: each one's wall cap and kill grace
    (the runner in the pod enforces every phase's own caps first), plus the pod's start; the largest memory
    cap plus the runner's own."""
    caps = [p.runtime.caps for p in phases]
    return PhaseCaps(
        wall_seconds=start_seconds + sum(c.wall_seconds + c.enforcement_bound for c in caps),
        memory_bytes=max(c.memory_bytes for c in caps) + overhead_bytes,
        kill_grace_seconds=max(c.kill_grace_seconds for c in caps),
    )


class PodRunExecution(RunExecution):
    def __init__(self, *args: Any, pods: PodRunLauncher, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pods = pods
        self._memory_limit = 0  # the pod's memory limit, once launched

    def _run_phases(self, phases: list[RenderedPhase], results: dict[str, JsonValue]) -> RunOutcome:
        run = self.run
        if not phases:
            return self._complete(results)
        if run.stop.is_set():
            return self._after_stop(None)
        plan = PodPlan(
            run_id=run.run_id,
            attempt=run.attempt_no,
            workspace_id=run.workspace_id,
            phases=[PlannedPhase(kind=p.kind, runtime=p.runtime) for p in phases],
        )
        plan_key = f"{pod_prefix(run.workspace_id, run.run_id, run.attempt_no)}/plan.json"
        try:
            # With the run's vended credentials: the plan is under the run's own prefix, where the pod reads it.
            self.store.client.put_object(
                Bucket=self.store.bucket,
                Key=plan_key,
                Body=plan.model_dump_json().encode(),
                ContentType="application/json",
            )
        except (ClientError, BotoCoreError) as exc:
            return self._fail(True, ARTIFACT_STORE_UNAVAILABLE, f"the run's plan could not be stored: {exc}")
        settings = self.pods.settings
        caps = pod_caps(phases, settings.start_seconds, settings.memory_overhead_bytes)
        self._memory_limit = caps.memory_bytes
        remaining = (run.deadline_at - datetime.now(UTC)).total_seconds() if run.deadline_at else math.inf
        active_deadline = max(1, math.ceil(min(remaining, caps.wall_seconds + caps.kill_grace_seconds)))
        try:
            job = self.pods.launch(
                run_id=run.run_id,
                attempt=run.attempt_no,
                workspace_id=run.workspace_id,
                argv=[POD_COMMAND, "--plan", f"s3://{self.store.bucket}/{plan_key}"],
                caps=caps,
                deadline_seconds=remaining,
                env=self.phase_env,
            )
        except PodRunError as exc:
            kind: FailureKind = "transient" if exc.retryable else "deterministic"
            return self._fail(exc.retryable, exc.error_class, str(exc), kind=kind)
        started = time.monotonic()
        self.log("pod.launched", job=job, namespace=settings.namespace, active_deadline_s=active_deadline)
        self.events.add(
            run.lease,
            "pod.launched",
            phase=phases[0].runtime.name,  # events name a phase: the pod's first
            message=f"job {job} in namespace {settings.namespace}",
            payload={"job": job, "namespace": settings.namespace, "active_deadline_seconds": active_deadline},
        )
        try:
            state = self._watch(job, started + active_deadline + settings.deadline_margin_seconds)
        except PodRunError as exc:
            self._delete(job)
            return self._fail(exc.retryable, exc.error_class, str(exc), kind="transient")
        if state is None:  # stopped: cancel, lost lease, or shutdown past its grace
            self._delete(job)
            return self._after_stop(None)
        elapsed = time.monotonic() - started
        if not state.finished:  # the executor's own timer
            self._delete(job)
            return self._after_stop(
                _breach(
                    phases[0],
                    "wall_time",
                    active_deadline,
                    elapsed,
                    "seconds",
                    f"the Job {job} outlived its activeDeadlineSeconds by "
                    f"{settings.deadline_margin_seconds:g} s; the executor deleted it",
                )
            )
        return self._finished(job, state, phases, results, active_deadline, elapsed)

    def _watch(self, job: str, timer_at: float) -> JobState | None:
        """The Job's final state; None once the run must stop; an unfinished state when the timer fires.
        A transient API error is retried until the timer (the Job runs on without the executor)."""
        poll = self.pods.settings.poll_seconds
        while not self.run.stop.wait(poll):
            if time.monotonic() >= timer_at:
                return JobState(finished=False)
            try:
                state = self.pods.state(job)
            except PodJobGone:
                raise
            except PodRunError as exc:
                self.log("pod.state_unavailable", level="warning", job=job, error=str(exc))
                continue
            if state.finished:
                return state
        return None

    def _delete(self, job: str) -> None:
        try:
            self.pods.delete(job)
        except PodRunError as exc:
            # Its activeDeadlineSeconds still ends it, and ttlSecondsAfterFinished removes it.
            self.log("pod.delete_failed", level="error", job=job, error=str(exc))
        else:
            self.log("pod.deleted", job=job)

    def _finished(
        self,
        job: str,
        state: JobState,
        phases: list[RenderedPhase],
        results: dict[str, JsonValue],
        active_deadline: int,
        elapsed: float,
    ) -> RunOutcome:
        run = self.run
        try:
            exited = self.pods.exit(job)
        except PodRunError as exc:
            self.log("pod.exit_unavailable", level="warning", job=job, error=str(exc))
            exited = PodExit(None, None, None)
        outcome, problem, invalid = self._read_outcome([p.runtime.name for p in phases])
        last = outcome.results[-1].phase if outcome and outcome.results else phases[0].runtime.name
        self.events.add(
            run.lease,
            "pod.finished",
            phase=last,
            level="info" if state.succeeded else "error",
            message=f"job {job}: {'succeeded' if state.succeeded else state.reason or 'failed'}"
            + (f", exit code {exited.exit_code}" if exited.exit_code is not None else ""),
            payload={"job": job, "reason": state.reason, "exit_code": exited.exit_code, "pod": exited.pod},
        )
        self._store_log(job, last)
        if state.reason == "DeadlineExceeded":
            return self._after_stop(
                _breach(
                    phases[0],
                    "wall_time",
                    active_deadline,
                    elapsed,
                    "seconds",
                    f"the Job {job} reached its activeDeadlineSeconds ({active_deadline} s) and Kubernetes stopped it",
                )
            )
        if invalid:
            # Written next to tenant code that holds the same credentials, and not what a pod writes: the
            # same code would write it again, so it is not retried.
            return self._fail(
                False,
                POD_OUTCOME_INVALID,
                f"the pod of Job {job} wrote an unusable outcome: {problem}",
                kind="deterministic",
            )
        if outcome is None:
            if exited.reason == "OOMKilled":
                return self._after_stop(
                    _breach(
                        phases[0],
                        "memory",
                        self._memory_limit,
                        self._memory_limit,
                        "bytes",
                        f"the pod of Job {job} was killed by its memory limit (OOMKilled)",
                    )
                )
            code = exited.exit_code
            return self._fail(
                True,
                POD_FAILED,
                f"the pod of Job {job} ended without an outcome"
                + (f": exit code {code} ({exited.reason})" if code is not None else f" ({state.reason})")
                + (f"; {problem}" if problem else ""),
                kind="transient",
            )
        by_name = {p.runtime.name: p for p in phases}
        for event in outcome.events:
            self.events.add(
                run.lease,
                event.type,
                level=event.level,
                message=event.message,
                phase=event.phase,
                payload=event.payload,
            )
        for result in outcome.results:
            phase = by_name[result.phase]
            if result.status != "succeeded":
                return self._after_stop(result)
            if phase.runtime.kind == "python":
                self._publish_result(self._key(phase), result, self._lineage(phase))
            if self.artifact_problem is not None:
                return self._fail(True, ARTIFACT_STORE_UNAVAILABLE, self.artifact_problem)
            results[result.phase] = result.result
        if len(outcome.results) != len(phases) or not state.succeeded:
            return self._fail(
                True,
                POD_OUTCOME_INVALID,
                f"the pod of Job {job} reported {len(outcome.results)} of {len(phases)} phases and "
                f"{'succeeded' if state.succeeded else 'failed'}",
                kind="transient",
            )
        return self._complete(results)

    def _read_outcome(self, expected: list[str]) -> tuple[PodOutcome | None, str | None, bool]:
        """The pod's outcome; else why there is none (None: the pod wrote none) and whether what it wrote is
        unusable (True) rather than unreadable for now (False)."""
        run = self.run
        key = outcome_key(f"{pod_prefix(run.workspace_id, run.run_id, run.attempt_no)}/plan.json")
        try:
            body = self.store.client.get_object(
                Bucket=self.store.bucket, Key=key, Range=f"bytes=0-{MAX_OUTCOME_BYTES}"
            )["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            missing = code in ("NoSuchKey", "404")
            return None, None if missing else f"its outcome could not be read: {code}", False
        except BotoCoreError as exc:
            return None, f"its outcome could not be read: {exc}", False
        if len(body) > MAX_OUTCOME_BYTES:
            return None, f"it is larger than {MAX_OUTCOME_BYTES} bytes", True
        try:
            outcome = PodOutcome.model_validate_json(body)
        except ValidationError as exc:
            return None, f"it is not a pod outcome ({exc.error_count()} problem(s))", True
        # GUARD: results in the plan's order, events of the plan's phases: nothing about another run or phase.
        if [r.phase for r in outcome.results] != expected[: len(outcome.results)] or any(
            e.phase not in expected for e in outcome.events
        ):
            return None, "it names phases that are not the plan's, or not in the plan's order", True
        return outcome, None, False

    def _store_log(self, job: str, phase: str) -> None:
        try:
            text = self.pods.log(job)
        except PodRunError as exc:
            self.log("pod.log_unavailable", level="warning", job=job, error=str(exc))
            return
        if not text:
            return
        body = text.encode()
        key = ArtifactKey(
            workspace=self.run.workspace_id,
            run=self.run.run_id,
            attempt=self.run.attempt_no,
            phase=phase,
            name=LOG_NAME,
        )
        lineage = Lineage(spec_hash=self.run.spec_hash, tool_versions={"controlroom": __version__})
        self._upload(key, lambda: io.BytesIO(body), "text/plain; charset=utf-8", lineage, "log")

    def _key(self, phase: RenderedPhase) -> ArtifactKey:
        run = self.run
        return ArtifactKey(
            workspace=run.workspace_id,
            run=run.run_id,
            attempt=run.attempt_no,
            phase=phase.runtime.name,
            name="result.json",
        )

    def _lineage(self, phase: RenderedPhase) -> Lineage:
        return Lineage(
            spec_hash=self.run.spec_hash,
            tool_versions={"controlroom": __version__},
            extra={"kind": phase.kind, "inputs": list(phase.inputs), "outputs": list(phase.outputs), "pod": True},
        )


def _breach(phase: RenderedPhase, cap: CapName, limit: float, measured: float, unit: Unit, detail: str) -> PhaseResult:
    """A breach the pod could not report itself (Kubernetes or the executor stopped it): reported as the
    run's cap_exceeded, as a breach inside a phase is."""
    return PhaseResult(
        phase=phase.runtime.name,
        kind=phase.runtime.kind,
        status="cap_exceeded",
        exit_code=None,
        signal=None,
        duration_seconds=measured if unit == "seconds" else 0.0,
        cpu_seconds=0.0,
        peak_rss_bytes=0,
        stdout_bytes=0,
        stderr_bytes=0,
        breach=CapBreach(cap=cap, limit=limit, measured=measured, unit=unit, detail=detail, at_seconds=measured),
    )
