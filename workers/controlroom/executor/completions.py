"""The completion window: runs that finish close together are completed in one call.

A run's final `complete` waits at most `window` seconds for others to finish, then one
`complete_runs` call completes all of them in one transaction (chunks of at most `max_items`).
No thread of its own: the first run to arrive leads the batch and sends it; the others wait
for their reply. Each run still gets its own answer, turned back into the exception a single
`complete_run` would have raised (LeaseLost for a fenced attempt), so callers cannot tell the
difference except by the number of transactions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from controlroom.client.errors import ControlPlaneError, InvalidTransition, LeaseLost, NotFound
from controlroom.client.models import Completion, CompletionReply

MAX_ITEMS = 100  # complete_runs' bound (PT413 above it)

Send = Callable[[list[Completion]], list[CompletionReply]]

_REFUSALS: dict[str, type[ControlPlaneError]] = {
    "rejected": LeaseLost,
    "not_found": NotFound,
    "not_started": InvalidTransition,
}


class CompletionWindow:
    def __init__(self, send: Send, *, window: float = 0.005, max_items: int = MAX_ITEMS) -> None:
        if window < 0:
            raise ValueError("the completion window cannot be negative")
        if not 1 <= max_items <= MAX_ITEMS:
            raise ValueError(f"max_items must be between 1 and {MAX_ITEMS}")
        self._send = send
        self.window = window
        self.max_items = max_items
        self._lock = threading.Lock()
        self._pending: list[tuple[Completion, Future[CompletionReply]]] = []
        self._leading = False
        self._full = threading.Event()
        self.calls = 0  # complete_runs calls made (for logs and tests)

    def complete(self, lease: str, result: dict[str, Any] | None = None) -> CompletionReply:
        """Completes one run; returns its reply or raises what complete_run would have raised."""
        done: Future[CompletionReply] = Future()
        with self._lock:
            self._pending.append((Completion.model_validate({"lease": lease, "result": result}), done))
            lead = not self._leading
            self._leading = True
            if len(self._pending) >= self.max_items:
                self._full.set()
        if lead:
            if self.window > 0:
                self._full.wait(self.window)
            with self._lock:
                batch, self._pending = self._pending, []
                self._leading = False
                self._full.clear()
            for start in range(0, len(batch), self.max_items):
                self._flush(batch[start : start + self.max_items])
        return _answer(done.result())

    def _flush(self, batch: list[tuple[Completion, Future[CompletionReply]]]) -> None:
        with self._lock:
            self.calls += 1
        try:
            replies = self._send([item for item, _ in batch])
        except BaseException as exc:  # every waiting run must learn the outcome, whatever it is
            for _, done in batch:
                done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        by_item = {r.item: r for r in replies}
        for i, (item, done) in enumerate(batch):
            reply = by_item.get(i)
            if reply is None:
                done.set_exception(ControlPlaneError(f"complete_runs gave no answer for lease {item.lease}"))
            else:
                done.set_result(reply)


def _answer(reply: CompletionReply) -> CompletionReply:
    refusal = _REFUSALS.get(reply.outcome)
    if refusal is not None:
        raise refusal(reply.message or reply.outcome, code=reply.code, status=200)
    return reply
