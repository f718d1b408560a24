"""Run events, batched per attempt and sent in one RPC per batch.

Events are flushed on a timer and at every phase boundary, so a kill -9 loses at most one timer
period of events. A batch the control plane did not acknowledge stays queued and is sent again;
a batch refused because the lease is gone is dropped (that attempt may no longer write).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from controlroom.client.errors import ControlPlaneError, LeaseLost, PayloadTooLarge, Unavailable

Send = Callable[[str, list[dict[str, Any]]], None]
MAX_BATCH = 500


class EventBatcher:
    def __init__(self, send: Send, *, interval: float = 1.0, on_error: Callable[[str, Exception], None] | None = None):
        self._send = send
        self._interval = interval
        self._max_batch = MAX_BATCH
        self._queues: dict[str, list[dict[str, Any]]] = {}
        # Per-attempt sequence numbers make a re-sent batch idempotent (the control plane skips
        # an (attempt, seq) it already stored), so a batch whose reply was lost can be re-sent.
        self._seq: dict[str, int] = {}
        self._lock = threading.Lock()
        # One flush at a time per attempt (keeps its batches in seq order); attempts flush independently.
        self._flush_locks: dict[str, threading.Lock] = {}
        self._stop = threading.Event()
        self._on_error = on_error or (lambda _lease, _exc: None)
        self._thread = threading.Thread(target=self._run, name="event-flusher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(
        self,
        lease: str,
        type_: str,
        *,
        level: str = "info",
        message: str = "",
        phase: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            seq = self._seq.get(lease, 0) + 1
            self._seq[lease] = seq
        event = {
            "seq": seq,
            "ts": datetime.now(UTC).isoformat(),
            "type": type_,
            "level": level,
            "phase": phase,
            "message": message,
            "payload": payload or {},
        }
        with self._lock:
            self._queues.setdefault(lease, []).append(event)

    def flush(self, lease: str) -> None:
        """Send everything queued for one attempt; raises LeaseLost if the attempt is fenced."""
        with self._lock:
            flush_lock = self._flush_locks.setdefault(lease, threading.Lock())
        with flush_lock:
            while True:
                with self._lock:
                    queued = self._queues.get(lease) or []
                    batch = queued[: self._max_batch]
                if not batch:
                    return
                try:
                    self._send(lease, batch)
                except LeaseLost:
                    self.discard(lease)
                    raise
                except PayloadTooLarge:
                    # The control plane's bound is smaller than ours: halve until it fits.
                    if len(batch) == 1:
                        raise
                    self._max_batch = max(1, len(batch) // 2)
                    continue
                with self._lock:
                    del self._queues.get(lease, [])[: len(batch)]

    def flush_all(self) -> None:
        with self._lock:
            leases = [lease for lease, queue in self._queues.items() if queue]
        for lease in leases:
            try:
                self.flush(lease)
            except (LeaseLost, Unavailable) as exc:
                self._on_error(lease, exc)
            except ControlPlaneError as exc:
                self._on_error(lease, exc)

    def discard(self, lease: str) -> None:
        with self._lock:
            self._queues.pop(lease, None)

    def forget(self, lease: str) -> None:
        """The attempt is over and flushed: drop its bookkeeping."""
        with self._lock:
            self._queues.pop(lease, None)
            self._seq.pop(lease, None)
            self._flush_locks.pop(lease, None)

    def pending(self, lease: str) -> int:
        with self._lock:
            return len(self._queues.get(lease, []))

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush_all()

    def close(self, deadline: float | None = None) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
        self.flush_all()
