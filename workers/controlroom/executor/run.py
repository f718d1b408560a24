"""One claimed run, start to finish: start, phases in order, artifacts, events, the final report.

Every outcome ends in exactly one report to the control plane: complete, fail (retryable or not),
confirm_cancel, or nothing at all when the lease is lost (the attempt is fenced, and the run is
already someone else's).
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import JsonValue

from controlroom import __version__
from controlroom.artifacts import ArtifactKey, ArtifactRecord, ArtifactStore, Lineage
from controlroom.artifacts.credentials import CredentialsError, CredentialVendor
from controlroom.artifacts.errors import ArtifactError
from controlroom.artifacts.logs import S3LogSink, log_key
from controlroom.artifacts.upload import UploadRetry, put_retrying
from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import ControlPlaneError, LeaseLost, is_transient
from controlroom.executor.completions import CompletionWindow
from controlroom.executor.events import EventBatcher
from controlroom.executor.leases import HeldRun
from controlroom.executor.logs import JsonLog
from controlroom.executor.repairs import Reuse, ReuseFailed, ReuseStoreUnavailable, plan_reuse
from controlroom.lakehouse.spark_endpoints import SparkEndpointError, SparkEndpoints
from controlroom.phases import workdirs
from controlroom.phases.context import PhaseContext
from controlroom.phases.failure_kinds import FailureKind, failure_kind
from controlroom.phases.identity import PhaseIdentity
from controlroom.phases.models import PhaseResult, PythonPhase
from controlroom.phases.runner import run_phase
from controlroom.specs.confine import URI_OUTSIDE_WORKSPACE, rendered_findings
from controlroom.specs.load import parse_spec
from controlroom.specs.params import resolve_params
from controlroom.specs.problems import Problem, SpecError, format_loc
from controlroom.specs.render import RenderedPhase, RunContext, render_phases

Ending = Literal["succeeded", "failed", "cap_exceeded", "cancelled", "lease_lost", "shutdown"]

# The error_class of a run whose outputs (result, logs) could not be stored or recorded: reported
# through fail_run with retryable=true, so another attempt runs it again; never `succeeded`.
ARTIFACT_STORE_UNAVAILABLE = "artifact_store_unavailable"
# A report is retried through an outage until this many seconds before the lease's tolerance ends.
REPORT_MARGIN_SECONDS = 1.0


@dataclass(frozen=True)
class RunOutcome:
    ending: Ending
    reported: bool
    detail: str = ""


class RunExecution:
    def __init__(
        self,
        run: HeldRun,
        *,
        plane: ControlPlane,
        store: ArtifactStore,
        events: EventBatcher,
        completions: CompletionWindow,
        log: JsonLog,
        shutting_down: threading.Event,
        phase_env: dict[str, str],
        identity: PhaseIdentity | None = None,
        vendor: CredentialVendor | None = None,
        spark: SparkEndpoints | None = None,
        upload_retry: UploadRetry | None = None,
        sleep: Any = time.sleep,
    ) -> None:
        self.run = run
        self.plane = plane
        self.store = store
        # The executor's own access, kept when the run's store is scoped to its vended credentials: a
        # repair re-reads outputs that other runs of the workspace recorded (executor/repairs.py).
        self.executor_store = store
        self.events = events
        self.completions = completions
        self.log = log.bind(run_id=run.run_id, attempt=run.attempt_no)
        self.shutting_down = shutting_down
        self.phase_env = phase_env
        self.identity = identity
        self.vendor = vendor
        self.spark = spark  # None: read CONTROLROOM_SPARK_ENDPOINTS when a run has a spark phase
        self.upload_retry = upload_retry or UploadRetry.from_env()
        self._sleep = sleep
        # The first output that could not be stored or recorded: the run then fails retryable.
        self.artifact_problem: str | None = None

    # -- the whole run ---------------------------------------------------------------------------
    def execute(self) -> RunOutcome:
        run = self.run
        try:
            phases = self._render()
        except SpecError as exc:
            confined = any(p.code == URI_OUTSIDE_WORKSPACE for p in exc.problems)
            # Deterministic: a retry would be refused the same way.
            return self._fail(
                False, URI_OUTSIDE_WORKSPACE if confined else "InvalidSpec", str(exc), kind="deterministic"
            )
        except SparkEndpointError as exc:
            # The pool's executors share one configuration: another attempt here would fail the same way.
            return self._fail(False, "SparkEngineNotConfigured", str(exc), kind="deterministic")
        try:
            self._scope_storage()
        except CredentialsError as exc:
            return self._fail(
                exc.retryable, exc.error_class, str(exc), kind="transient" if exc.retryable else "deterministic"
            )
        if not run.started:
            try:
                self.plane.start_run(run.lease)
            except LeaseLost:
                return RunOutcome("lease_lost", reported=False, detail="lease lost before start")
        self.log("run.started", phases=len(phases))
        try:
            reuse = self._reuse([p.runtime.name for p in phases])
        except ReuseFailed as exc:
            kind: FailureKind = "transient" if isinstance(exc, ReuseStoreUnavailable) else "deterministic"
            return self._fail(kind == "transient", exc.error_class, str(exc), kind=kind)
        results: dict[str, JsonValue] = dict(reuse.results)
        return self._run_phases([p for p in phases if p.runtime.name not in reuse.skipped], results)

    def _run_phases(self, phases: list[RenderedPhase], results: dict[str, JsonValue]) -> RunOutcome:
        """The phases to run, in order, here: each in a subprocess of this executor (a pod per run
        overrides this, executor/podrun_execution.py). `results` holds the reused phases' results."""
        run = self.run
        with workdirs.run_root(f"controlroom-{run.run_id[:8]}-", self.identity) as workdir:
            for phase in phases:
                if run.stop.is_set():
                    break
                result = self._phase(phase, workdir)
                if result.status != "succeeded":
                    return self._after_stop(result)
                if self.artifact_problem is not None and not run.stop.is_set():
                    # Outputs are part of success: without them the run is not done.
                    return self._fail(True, ARTIFACT_STORE_UNAVAILABLE, self.artifact_problem)
                results[phase.runtime.name] = result.result
            if run.stop.is_set():
                return self._after_stop(None)
            return self._complete(results)

    def _render(self) -> list[RenderedPhase]:
        spec = parse_spec(self.run.spec, f"spec {self.run.spec_hash[:12]}")
        params = resolve_params(spec, self.run.params)
        context = RunContext(
            id=self.run.run_id,
            attempt=self.run.attempt_no,
            # The workspace the control plane ran this in, never the body's own `workspace` text: the
            # storage prefix (and the workspace's S3 role) is keyed by this id.
            workspace=self.run.workspace_id,
            bucket=self.store.bucket,
            spec_name=spec.name,
            spec_version=spec.version,
            spec_hash=self.run.spec_hash,
        )
        phases = render_phases(spec, params, context)
        # GUARD: after rendering, before any phase starts: parameters can still carry the URI outside.
        findings = rendered_findings(phases, bucket=self.store.bucket, workspace_id=self.run.workspace_id)
        if findings:
            where = f"run {self.run.run_id}"
            raise SpecError(
                [Problem(where, format_loc(f.loc), f.message, code=URI_OUTSIDE_WORKSPACE) for f in findings]
            )
        return [self._bind_spark_engine(phase) if phase.kind == "spark" else phase for phase in phases]

    def _bind_spark_engine(self, phase: RenderedPhase) -> RenderedPhase:
        """The spec names a logical engine; this executor's configuration says where it is (and whether
        the run's vended credentials go into the session), per pool or per workspace."""
        if self.spark is None:
            self.spark = SparkEndpoints.from_env()
        params = dict(phase.runtime.params) if isinstance(phase.runtime, PythonPhase) else {}
        engine = params.get("engine")
        name = engine.get("name") if isinstance(engine, dict) else None
        url = self.spark.resolve(self.run.workspace_id, name if isinstance(name, str) else "default")
        params |= {"endpoint": url, "session_credentials": self.spark.session_credentials}
        return dataclasses.replace(phase, runtime=phase.runtime.model_copy(update={"params": params}))

    def _reuse(self, names: list[str]) -> Reuse:
        """A repair run skips the phases before its from_phase once their outputs are verified."""
        try:
            plan = self.plane.repair_plan(self.run.lease)
        except ControlPlaneError as exc:
            # Safe to go on without a plan: every phase then runs again, nothing is trusted unread.
            self.log("repair_plan.unavailable", level="warning", error=str(exc))
            return Reuse()
        reuse = plan_reuse(plan, names, self.executor_store.client)
        for name in reuse.skipped:
            items = reuse.artifacts.get(name, [])
            self.events.add(
                self.run.lease,
                "phase.reused",
                phase=name,
                message=f"phase {name} reused from run {plan.parent_run_id}: {len(items)} artifact(s), digests checked",
                payload={
                    "phase": name,
                    "parent_run_id": str(plan.parent_run_id),
                    "artifacts": [{"uri": a.uri, "sha256": a.sha256, "run_id": str(a.run_id)} for a in items],
                },
            )
        if reuse.skipped:
            self.log("repair.reused", from_phase=reuse.from_phase, skipped=list(reuse.skipped))
        return reuse

    def _scope_storage(self) -> None:
        """From here on, the run's phases and its artifact uploads use only the workspace's credentials."""
        if self.vendor is None:
            return
        run = self.run
        creds = self.vendor.vend(
            run.workspace_id, run_id=run.run_id, attempt=run.attempt_no, deadline_at=run.deadline_at
        )
        meta = self.store.client.meta
        self.store = self.store.with_client(creds.s3(meta.endpoint_url, meta.region_name))
        self.phase_env = {**self.phase_env, **creds.phase_env()}
        self.log(
            "credentials.vended",
            role=creds.role_arn,
            seconds=round(creds.seconds, 4),
            expires=creds.expiration.isoformat(),
        )

    # -- one phase -------------------------------------------------------------------------------
    def _phase(self, phase: RenderedPhase, workdir: Path) -> PhaseResult:
        run = self.run
        spec = phase.runtime
        run.phase = spec.name
        key = ArtifactKey(
            workspace=run.workspace_id, run=run.run_id, attempt=run.attempt_no, phase=spec.name, name="result.json"
        )
        # Owned by the phase's identity, 0700: no other run can read it (see phases/workdirs.py).
        phase_dir = workdirs.private_dir(workdir, spec.name, self.identity)
        lineage = Lineage(
            spec_hash=run.spec_hash,
            tool_versions={"controlroom": __version__},
            extra={"kind": phase.kind, "inputs": list(phase.inputs), "outputs": list(phase.outputs)},
        )

        def on_event(type_: str, level: str, message: str, payload: dict[str, JsonValue]) -> None:
            self.events.add(run.lease, type_, level=level, message=message, phase=spec.name, payload=payload)

        with S3LogSink(self.store, log_key(key, "stdout")) as out, S3LogSink(self.store, log_key(key, "stderr")) as err:
            ctx = PhaseContext(
                workdir=phase_dir,
                cancel=run.stop,
                on_event=on_event,
                stdout=out,
                stderr=err,
                env=self.phase_env,
                identity=self.identity,
            )
            self.log("phase.started", phase=spec.name, kind=phase.kind)
            result = run_phase(spec, ctx)
            self.log(
                "phase.finished", phase=spec.name, status=result.status, duration_s=round(result.duration_seconds, 3)
            )
            if not run.lease_lost.is_set():
                self._publish(out, lineage)
                self._publish(err, lineage)
                if spec.kind == "python" and result.status == "succeeded":
                    self._publish_result(key, result, lineage)
        self._flush()
        return result

    def _publish(self, sink: S3LogSink, lineage: Lineage) -> None:
        def source() -> IO[bytes]:
            sink.rewind()
            return sink.spool

        self._upload(sink.key, source, sink.content_type, lineage, "log")

    def _publish_result(self, key: ArtifactKey, result: PhaseResult, lineage: Lineage) -> None:
        body = json.dumps(result.result, sort_keys=True, default=str).encode()
        rows = _row_count(result.result)
        lineage = lineage.model_copy(update={"row_count": rows})
        self._upload(key, lambda: io.BytesIO(body), "application/json", lineage, "result")

    def _upload(self, key: ArtifactKey, source: Any, content_type: str, lineage: Lineage, what: str) -> None:
        if self.artifact_problem is not None:
            return  # the run fails anyway; do not spend another retry budget on its other outputs

        def retrying(attempt: int, exc: ArtifactError) -> None:
            self.log("artifact.upload_retry", level="warning", what=what, attempt=attempt, error=str(exc))

        try:
            record = put_retrying(
                self.store,
                key,
                source,
                content_type=content_type,
                lineage=lineage,
                retry=self.upload_retry,
                on_retry=retrying,
            )
        except ArtifactError as exc:
            self._artifact_failed(f"{what} upload failed: {exc}")
            return
        self._register(record)

    def _register(self, record: ArtifactRecord) -> None:
        def send() -> object:
            # The same key and digest again answers `duplicate`: a retry after a lost reply is a success.
            return self.plane.register_artifact(
                self.run.lease,
                phase=record.key.phase,
                name=record.key.name,
                uri=record.uri,
                sha256=record.sha256,
                size_bytes=record.size,
                content_type=record.content_type,
                lineage=record.lineage.model_dump(mode="json"),
                version_id=record.version_id,
                etag=record.etag,
            )

        try:
            self._through_outage("artifact.register", send)
        except LeaseLost:
            self.run.request_stop(lost=True)
        except ControlPlaneError as exc:
            self._artifact_failed(f"registering {record.uri} failed: {exc}")

    def _artifact_failed(self, message: str) -> None:
        # Outputs are part of success: the run fails retryable once the phase is over (see execute).
        if self.artifact_problem is None:
            self.artifact_problem = message
        self.log("artifact.failed", level="error", phase=self.run.phase, error=message)
        self.events.add(self.run.lease, "artifact.failed", level="error", phase=self.run.phase, message=message)

    def _through_outage(self, what: str, send: Any) -> Any:
        """send(), retried while the control plane is unavailable and the lease still holds.

        The transport already retried within its own bound; this keeps going for as long as the
        lease's tolerance allows (the heartbeat keeps renewing it when the control plane is back),
        so finished work is not thrown away by an outage shorter than the tolerance."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return send()
            except ControlPlaneError as exc:
                if not is_transient(exc):
                    raise
                pause = random.uniform(0, min(5.0, 0.5 * 2 ** (attempt - 1)))  # noqa: S311 - jitter
                if self.run.lease_expires_in() - pause < REPORT_MARGIN_SECONDS:
                    raise
                self.log("control_plane.retry", level="warning", what=what, attempt=attempt, error=str(exc))
                self._sleep(pause)

    def _flush(self) -> None:
        try:
            self.events.flush(self.run.lease)
        except LeaseLost:
            self.run.request_stop(lost=True)
        except ControlPlaneError as exc:
            self.log("events.flush_failed", level="warning", error=str(exc))

    # -- endings ---------------------------------------------------------------------------------
    def _after_stop(self, result: PhaseResult | None) -> RunOutcome:
        run = self.run
        if run.lease_lost.is_set():
            self.events.discard(run.lease)
            return RunOutcome("lease_lost", reported=False, detail="the control plane fenced this attempt")
        if run.cancel_requested.is_set():
            return self._report("cancelled", lambda: self.plane.confirm_cancel(run.lease, "phase stopped on cancel"))
        if self.shutting_down.is_set() and (result is None or result.status == "cancelled"):
            # Not the phase's failure: retried whatever its retry_on says (no kind: retryable decides).
            return self._fail(True, "ExecutorShutdown", "the executor shut down before the run finished; retrying")
        assert result is not None
        if result.status == "cap_exceeded" and result.breach is not None:
            b = result.breach
            self.events.add(
                run.lease,
                "run.cap_exceeded",
                level="error",
                phase=result.phase,
                message=f"{b.cap} cap exceeded: limit {b.limit:g}, measured {b.measured:g} {b.unit}",
                payload={"cap": b.cap, "limit": b.limit, "measured": b.measured, "unit": b.unit},
            )
            # A deterministic breach would breach again: retrying only burns attempts.
            return self._fail(
                False,
                "cap_exceeded",
                f"phase {result.phase}: {b.cap} cap exceeded "
                f"(limit {b.limit:g}, measured {b.measured:g} {b.unit}): {b.detail}",
                ending="cap_exceeded",
                kind="deterministic",
                phase=result.phase,
            )
        message = f"phase {result.phase} failed: {result.error_class}: {result.error_message}"
        kind = failure_kind(result.error_class)
        return self._fail(
            kind == "transient", result.error_class or "PhaseFailed", message, kind=kind, phase=result.phase
        )

    def _complete(self, results: dict[str, JsonValue]) -> RunOutcome:
        summary = {"phases": results}
        # Through the completion window: runs finishing together share one complete_runs transaction.
        return self._report("succeeded", lambda: self.completions.complete(self.run.lease, summary))

    def _fail(
        self,
        retryable: bool,
        error_class: str,
        message: str,
        ending: Ending = "failed",
        *,
        kind: FailureKind | None = None,
        phase: str | None = None,
    ) -> RunOutcome:
        """The report carries the failure's kind; the control plane decides whether to retry (fail_run)."""

        def send() -> object:
            return self.plane.fail_run(
                self.run.lease,
                retryable=retryable,
                error_class=error_class[:200],
                message=message[:10000],
                failure_kind=kind,
                phase=phase,
            )

        return self._report(ending, send)

    def _report(self, ending: Ending, send: Any) -> RunOutcome:
        self._flush()

        def flush_and_send() -> object:
            # Events first, so that none of the attempt's events is left behind its final report.
            try:
                self.events.flush(self.run.lease)
            except LeaseLost:
                raise
            except ControlPlaneError as exc:
                if is_transient(exc):
                    raise
                self.log("events.flush_failed", level="warning", error=str(exc))
            return send()

        self.run.reporting.set()
        try:
            self._through_outage(f"report.{ending}", flush_and_send)
        except LeaseLost:
            self.events.discard(self.run.lease)
            return RunOutcome("lease_lost", reported=False, detail="the final report was fenced")
        except ControlPlaneError as exc:
            # Retried for as long as the lease could hold; now it will go stale and the control
            # plane requeues the run: nothing is lost, the attempt is merely repeated.
            self.log("run.report_failed", level="error", ending=ending, error=str(exc))
            return RunOutcome(ending, reported=False, detail=str(exc))
        self.log("run.finished", ending=ending)
        return RunOutcome(ending, reported=True)


def _row_count(result: JsonValue) -> int | None:
    if isinstance(result, dict):
        rows = result.get("rows")
        if isinstance(rows, int) and rows >= 0:
            return rows
    return None
