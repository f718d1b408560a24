"""The executor process: register, claim with adaptive polling, run, heartbeat, drain, stop.

Stateless: everything durable is in the control plane or S3. kill -9 at any moment loses nothing
that was acknowledged; the control plane requeues what this process held once its leases go stale.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from controlroom import __version__
from controlroom.artifacts import ArtifactStore
from controlroom.artifacts.credentials import CredentialVendor
from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import ControlPlaneError, InvalidReply, Unavailable, is_fatal, is_transient
from controlroom.client.models import ClaimedRun, Completion, CompletionReply, InvalidClaim
from controlroom.executor.completions import CompletionWindow
from controlroom.executor.events import EventBatcher
from controlroom.executor.heartbeat import Heartbeat
from controlroom.executor.leases import HeldRun, LeaseTable
from controlroom.executor.lifecycle import Lifecycle, State
from controlroom.executor.logs import JsonLog
from controlroom.executor.polling import DEFAULT_CEILING_SECONDS, Backoff
from controlroom.executor.run import RunExecution, RunOutcome
from controlroom.executor.wakeups import Wakeups, WakeupSource, fallback_wait
from controlroom.phases.identity import PhaseIdentities, PhaseIdentity
from controlroom.phases.supervise import kill_live_phase_groups

if TYPE_CHECKING:  # the kubernetes client is an optional extra: only a kubernetes-job worker imports it
    from controlroom.executor.podrun import PodRunLauncher

INVALID_CLAIM = "invalid_claim_payload"

# Exit codes (sysexits.h): a supervisor that restarts on failure restarts the worker for the first;
# the second needs a person (bad token, wrong URL or key, an API without this version's functions).
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE: the control plane stayed unreachable for the whole startup wait
EXIT_CONFIG = 78  # EX_CONFIG
EXIT_REFUSED = 1  # any other refusal of the claim: unexpected, so stop and let a supervisor look
# How long a starting worker waits for the control plane (CONTROLROOM_STARTUP_WAIT_SECONDS).
DEFAULT_STARTUP_WAIT_SECONDS = 300.0
# Claims refused by an outage are retried with backoff up to this interval.
OUTAGE_POLL_CEILING_SECONDS = 5.0


class FatalError(Exception):
    """Stops the worker with a non-zero exit code and a message for the operator."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# Where the data plane is; a phase's credentials are vended per run (artifacts/credentials.py).
PHASE_ENV_VARS = ("S3_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "CONTROLROOM_BUCKET")
# Only with shared credentials (CONTROLROOM_STORAGE_CREDENTIALS=shared, single tenant): the
# executor's own keys go to every phase.
SHARED_CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass
class ExecutorOptions:
    pool: str
    concurrency: int = 1
    labels: dict[str, str] = field(default_factory=dict)
    once: bool = False
    grace_seconds: float = 30.0
    poll_ceiling_seconds: float = DEFAULT_CEILING_SECONDS
    heartbeat_seconds: float = 10.0
    event_flush_seconds: float = 1.0
    completion_window_seconds: float = 0.005
    health_file: Path | None = None
    # Push wake-ups (executor/wakeups.py); None: adaptive polling alone.
    wakeups: WakeupSource | None = None
    startup_wait_seconds: float = DEFAULT_STARTUP_WAIT_SECONDS


class Executor:
    def __init__(
        self,
        plane: ControlPlane,
        store: ArtifactStore,
        options: ExecutorOptions,
        log: JsonLog | None = None,
        *,
        identities: PhaseIdentities | None = None,
        vendor: CredentialVendor | None = None,
        pods: PodRunLauncher | None = None,
    ) -> None:
        if options.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if pods is not None and vendor is None:
            # GUARD: a run's pod gets only the run's vended credentials; shared ones are the executor's own.
            raise ValueError(
                "a Kubernetes Job per run needs vended credentials (CONTROLROOM_STORAGE_CREDENTIALS=vended)"
            )
        self.plane = plane
        self.store = store
        self.options = options
        self.lifecycle = Lifecycle()
        self.leases = LeaseTable()
        self.log = log or JsonLog()
        self.executor_id: str | None = None
        # None: phases run as the worker's own uid (it cannot switch); see phases/identity.py.
        self.identities = identities
        self.shutting_down = threading.Event()
        self._work_done = threading.Event()
        self.outcomes: list[RunOutcome] = []
        self._events = EventBatcher(
            self._send_events,
            interval=options.event_flush_seconds,
            on_error=lambda lease, exc: self.log("events.flush_failed", level="warning", error=str(exc)),
        )
        self._completions = CompletionWindow(self._send_completions, window=options.completion_window_seconds)
        self._heartbeat = Heartbeat(
            self.leases, self._beat, self.log, default_interval=options.heartbeat_seconds, keepalive=True
        )
        self.vendor = vendor
        # None: runs execute here, as subprocesses; else each run is a Kubernetes Job (executor/podrun.py).
        self.pods = pods
        passed = PHASE_ENV_VARS if vendor is not None else (*PHASE_ENV_VARS, *SHARED_CREDENTIAL_VARS)
        self._phase_env = {k: v for k in passed if (v := os.environ.get(k))}
        self.wakeups: Wakeups | None = None

    # -- signals ---------------------------------------------------------------------------------
    def handle_signal(self, sig: signal.Signals, count: int) -> None:
        """The n-th stop signal. Called from the watcher thread of signals.on_stop, never from the
        signal handler itself, so logging and Events are safe here."""
        if count == 1:
            self.log("executor.draining", signal=sig.name, grace_s=self.options.grace_seconds)
            self.shutting_down.set()
            self._work_done.set()
            return
        # Second signal: exit now. Phases die with us; the control plane requeues the runs when
        # their leases go stale, so the state stays consistent without any report from here.
        killed = kill_live_phase_groups(signal.SIGKILL)
        self.log("executor.exit_now", signal=sig.name, phases_killed=killed)
        os._exit(128 + sig)

    # -- main loop -------------------------------------------------------------------------------
    def _register(self) -> Any:
        """register_executor, retried while the control plane is unavailable (up to the startup wait):
        a worker started, or restarted by its supervisor, during an outage waits for the control plane."""
        deadline = time.monotonic() + self.options.startup_wait_seconds
        outage = Backoff(floor=0.5, ceiling=OUTAGE_POLL_CEILING_SECONDS)
        while True:
            try:
                return self.plane.register_executor(
                    pool=self.options.pool,
                    labels=self.options.labels,
                    version=__version__,
                    host=socket.gethostname(),
                    # The period it beats in (idle too): the control plane's bounds are 1 s .. 1 h.
                    heartbeat_seconds=min(3600.0, max(1.0, self.options.heartbeat_seconds)),
                )
            except ControlPlaneError as exc:
                if is_fatal(exc):
                    raise FatalError(f"the control plane refused this worker: {exc}", EXIT_CONFIG) from exc
                if not is_transient(exc):
                    raise FatalError(f"register_executor failed: {exc}", EXIT_REFUSED) from exc
                pause = outage.idle()
                if time.monotonic() + pause > deadline:
                    raise FatalError(
                        f"the control plane stayed unavailable for {self.options.startup_wait_seconds:g} s: {exc}",
                        EXIT_UNAVAILABLE,
                    ) from exc
                self.log("executor.register_retry", level="warning", error=str(exc))
                if self.shutting_down.wait(pause):
                    raise FatalError("stopped by a signal before the control plane answered", EXIT_UNAVAILABLE) from exc

    def run(self) -> int:
        me = self._register()
        self.executor_id = str(me.id)
        self.log = self.log.bind(executor_id=self.executor_id)
        self.log("executor.registered", pool=me.pool, concurrency=self.options.concurrency)
        self._events.start()
        self._heartbeat.start()
        self.lifecycle.to(State.RUNNING)
        backoff = Backoff(ceiling=self.options.poll_ceiling_seconds)
        outage = Backoff(floor=0.2, ceiling=OUTAGE_POLL_CEILING_SECONDS)
        exit_code = 0
        jitter = random.Random()  # noqa: S311 - jitter, not secrecy
        if self.options.wakeups is not None:
            self.wakeups = Wakeups(self.options.wakeups, me.pool, self.executor_id, self._work_done.set, self.log)
            self.wakeups.start()
        with ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="run") as pool:
            while not self.shutting_down.is_set():
                # Cleared before the claim, not after it: a wake-up or a finished run that arrives
                # while the claim is on the wire makes the loop claim again instead of being lost
                # (which cost up to a fallback interval of pickup latency).
                self._work_done.clear()
                self._touch_health()
                capacity = self.options.concurrency - len(self.leases)
                claimed: list[ClaimedRun] = []
                refused = 0
                if capacity > 0:
                    try:
                        # Started in the same transaction: the executor runs what it claims at once.
                        reply = self.plane.claim(self.executor_id, capacity, start=True)
                    except (Unavailable, InvalidReply) as exc:
                        # An outage (Postgres restarting, the API down) never stops the worker: it
                        # keeps its runs and claims again with backoff once the control plane is back.
                        self.log("claim.failed", level="warning", error=str(exc))
                        self._work_done.wait(outage.idle())
                        continue
                    except ControlPlaneError as exc:
                        if is_transient(exc):
                            self.log("claim.failed", level="warning", error=str(exc))
                            self._work_done.wait(outage.idle())
                            continue
                        # A refusal no retry can fix: drain, then exit non-zero so that it is seen.
                        exit_code = EXIT_CONFIG if is_fatal(exc) else EXIT_REFUSED
                        self.log("claim.refused", level="error", error=str(exc), exit_code=exit_code)
                        self.shutting_down.set()
                        break
                    else:
                        outage.found_work()
                        claimed, refused = reply.runs, len(reply.invalid)
                        for bad in reply.invalid:
                            self._refuse(bad)
                for claim in claimed:
                    held = _held(claim)
                    self.leases.add(held)
                    self.log("run.claimed", run_id=held.run_id, attempt=held.attempt_no)
                    pool.submit(self._execute, held).add_done_callback(self._finished)
                if claimed or refused:
                    self._heartbeat.poke()
                    backoff.found_work()
                    continue
                if self.options.once and len(self.leases) == 0:
                    self.log("executor.queue_drained")
                    break
                # Subscribed to wake-ups, polling is only the fallback for a missed message.
                if self.options.wakeups is not None and self.wakeups is not None and self.wakeups.subscribed:
                    wait = fallback_wait(self.options.wakeups.fallback_poll_seconds, jitter)
                else:
                    wait = backoff.idle()
                self._work_done.wait(wait if capacity > 0 else None)
            if self.wakeups is not None:
                self.wakeups.stop()
            self._report_status("draining")
            self._drain()
            self._report_status("stopped")
        return exit_code

    def _report_status(self, status: str) -> None:
        """Tells the control plane (executor_health) that this executor is draining or has stopped,
        so an operator can tell a shutdown from a death. Best effort: unsaid, silence says lost."""
        assert self.executor_id is not None
        try:
            self.plane.report_executor_status(self.executor_id, status)
        except ControlPlaneError as exc:
            self.log("executor.status_not_reported", level="warning", status=status, error=str(exc))

    def _refuse(self, bad: InvalidClaim) -> None:
        """A claimed run whose payload cannot be decoded fails on its own, not retryable: every
        executor would fail to decode it again. The other runs of the claim go on."""
        self.log("run.invalid_claim", level="error", run_id=str(bad.run_id), reason=bad.reason)
        if bad.lease_token is None:
            return  # nothing to fail it with; its lease goes stale and the control plane requeues it
        try:
            self.plane.fail_run(
                bad.lease_token,
                retryable=False,
                error_class=INVALID_CLAIM,
                message=f"the executor cannot decode this run's claim payload: {bad.reason}"[:10000],
            )
        except ControlPlaneError as exc:
            self.log("run.report_failed", level="error", run_id=str(bad.run_id), error=str(exc))

    def _drain(self) -> None:
        if self.lifecycle.state == State.RUNNING:
            self.lifecycle.to(State.DRAINING)
        deadline = time.monotonic() + self.options.grace_seconds
        if not self.leases.wait_empty(self.options.grace_seconds):
            # Grace is over: stop the phases; each run is then handed back as retryable.
            for run in self.leases.snapshot():
                self.log("run.stopping_for_shutdown", run_id=run.run_id, attempt=run.attempt_no)
                run.request_stop()
            self.leases.wait_empty(None)
        self._heartbeat.stop()
        self._events.close(deadline + 5)
        self.lifecycle.to(State.STOPPED)
        self.log("executor.stopped", runs=len(self.outcomes))

    def _execute(self, held: HeldRun) -> RunOutcome:
        try:
            with self.identities.held() if self.identities else contextlib.nullcontext() as identity:
                return self._execute_as(held, identity)
        finally:
            self._events.forget(held.lease)
            self.leases.remove(held)

    def _execute_as(self, held: HeldRun, identity: PhaseIdentity | None) -> RunOutcome:
        common: dict[str, Any] = {
            "plane": self.plane,
            "store": self.store,
            "events": self._events,
            "completions": self._completions,
            "log": self.log,
            "shutting_down": self.shutting_down,
            "phase_env": self._phase_env,
            "identity": identity,
            "vendor": self.vendor,
        }
        if self.pods is not None:
            from controlroom.executor.podrun_execution import PodRunExecution  # the kubernetes extra

            return PodRunExecution(held, pods=self.pods, **common).execute()
        return RunExecution(held, **common).execute()

    def _finished(self, future: Future[RunOutcome]) -> None:
        exc = future.exception()
        if exc is not None:
            self.log("run.crashed", level="error", error=repr(exc))
        else:
            self.outcomes.append(future.result())
        self._work_done.set()

    # -- control-plane callbacks -----------------------------------------------------------------
    def _beat(self, runs: list[HeldRun]) -> dict[str, str]:
        assert self.executor_id is not None
        replies = self.plane.heartbeat(self.executor_id, [r.lease for r in runs])
        return {str(reply.lease): reply.directive for reply in replies}

    def _send_events(self, lease: str, events: list[dict[str, Any]]) -> None:
        self.plane.emit_events(lease, events)

    def _send_completions(self, items: list[Completion]) -> list[CompletionReply]:
        assert self.executor_id is not None, "completions come only from claimed runs"
        return self.plane.complete_runs(self.executor_id, items)

    def _touch_health(self) -> None:
        if self.options.health_file is not None:
            self.options.health_file.touch()


def _held(claim: ClaimedRun) -> HeldRun:
    return HeldRun(
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
        deadline_at=claim.deadline_at,
    )
