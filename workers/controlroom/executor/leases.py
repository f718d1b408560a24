"""The runs an executor holds right now, keyed by attempt, with their directive flags."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class HeldRun:
    run_id: str
    attempt_id: str
    attempt_no: int
    lease: str
    workspace_id: str
    spec: dict[str, Any]
    params: dict[str, Any]
    spec_hash: str
    heartbeat_tolerance_seconds: float
    started: bool = False  # claimed with start => true: no start_run call
    deadline_at: datetime | None = None  # the run's max-duration deadline (bounds its S3 session)
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    lease_lost: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    phase: str | None = None
    # When the control plane last confirmed the lease (claim, then each `continue` of a heartbeat),
    # on the monotonic clock: the lease holds until this + heartbeat_tolerance_seconds, which bounds
    # how long a final report may be retried through an outage.
    renewed_at: float = field(default_factory=time.monotonic)
    # Set just before the final report is sent: from then on a heartbeat's lease_lost may only mean
    # that the report was applied (the attempt is closed), so it is not a warning.
    reporting: threading.Event = field(default_factory=threading.Event)

    def lease_expires_in(self, now: float | None = None) -> float:
        """Seconds until the lease's tolerance runs out, counted from its last confirmation."""
        return self.renewed_at + self.heartbeat_tolerance_seconds - (time.monotonic() if now is None else now)

    def request_stop(self, *, lost: bool = False, cancel: bool = False) -> None:
        if lost:
            self.lease_lost.set()
        if cancel:
            self.cancel_requested.set()
        self.stop.set()


class LeaseTable:
    def __init__(self) -> None:
        self._runs: dict[str, HeldRun] = {}
        self._lock = threading.Lock()
        self._empty = threading.Condition(self._lock)

    def add(self, run: HeldRun) -> None:
        with self._lock:
            self._runs[run.lease] = run

    def remove(self, run: HeldRun) -> None:
        with self._lock:
            self._runs.pop(run.lease, None)
            if not self._runs:
                self._empty.notify_all()

    def get(self, lease: str) -> HeldRun | None:
        with self._lock:
            return self._runs.get(lease)

    def snapshot(self) -> list[HeldRun]:
        with self._lock:
            return list(self._runs.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)

    def wait_empty(self, timeout: float | None) -> bool:
        with self._lock:
            return self._empty.wait_for(lambda: not self._runs, timeout)
