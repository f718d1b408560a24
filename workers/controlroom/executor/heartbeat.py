"""The heartbeat timer: one call for every held lease, independent of what the phases are doing.

It runs on its own thread so that a phase that hogs the CPU or blocks on I/O never starves its
lease. Directives act on the held runs: `cancel` and `lease_lost` stop the running phase.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from controlroom.client.errors import ControlPlaneError
from controlroom.executor.leases import HeldRun, LeaseTable
from controlroom.executor.logs import JsonLog

Beat = Callable[[list[HeldRun]], dict[str, str]]

DEFAULT_INTERVAL_SECONDS = 10.0


def interval_for(runs: list[HeldRun], default: float = DEFAULT_INTERVAL_SECONDS) -> float:
    """A third of the tightest tolerance held, so two missed beats still keep the lease."""
    if not runs:
        return default
    return max(0.2, min(default, min(r.heartbeat_tolerance_seconds for r in runs) / 3))


class Heartbeat:
    def __init__(
        self,
        leases: LeaseTable,
        beat: Beat,
        log: JsonLog,
        *,
        default_interval: float = DEFAULT_INTERVAL_SECONDS,
        keepalive: bool = False,
    ):
        self._leases = leases
        self._beat = beat
        self._log = log
        self._default = default_interval
        # An idle executor beats too (an empty heartbeat): it declared this period at registration,
        # and executor_health calls it lost after three silent periods, subscribed to wake-ups or not.
        self._keepalive = keepalive
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        """Beat now (a new lease with a short tolerance must not wait for the old interval)."""
        self._wake.set()

    def beat_once(self) -> None:
        runs = self._leases.snapshot()
        if not runs:
            if self._keepalive:
                self._keep_alive()
            return
        sent_at = time.monotonic()
        try:
            directives = self._beat(runs)
        except ControlPlaneError as exc:
            self._log("heartbeat.failed", level="warning", error=str(exc), leases=len(runs))
            return
        for run in runs:
            directive = directives.get(run.lease, "continue")
            if directive == "continue":
                # Extended as of when the beat was sent (the reply may have taken a while).
                run.renewed_at = max(run.renewed_at, sent_at)
                continue
            if directive == "lease_lost" and (run.reporting.is_set() or self._leases.get(run.lease) is None):
                # The beat raced the run's own final report: the attempt is closed because it was
                # completed (or failed) by us, not fenced. The report's answer says which.
                continue
            self._log(
                "heartbeat.directive", level="warning", directive=directive, run_id=run.run_id, attempt=run.attempt_no
            )
            if directive == "lease_lost":
                run.request_stop(lost=True)
            elif directive in ("cancel", "cap_exceeded"):
                run.request_stop(cancel=True)

    def _keep_alive(self) -> None:
        try:
            self._beat([])
        except ControlPlaneError as exc:
            self._log("heartbeat.failed", level="warning", error=str(exc), leases=0)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(interval_for(self._leases.snapshot(), self._default))
            self._wake.clear()
            if self._stop.is_set():
                return
            self.beat_once()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
