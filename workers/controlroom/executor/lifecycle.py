"""The executor's lifecycle as an explicit state machine: starting → running → draining → stopped."""

from __future__ import annotations

import threading
from enum import StrEnum


class State(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    DRAINING = "draining"
    STOPPED = "stopped"


ALLOWED: dict[State, frozenset[State]] = {
    State.STARTING: frozenset({State.RUNNING, State.STOPPED}),
    State.RUNNING: frozenset({State.DRAINING}),
    State.DRAINING: frozenset({State.STOPPED}),
    State.STOPPED: frozenset(),
}


class InvalidLifecycleTransition(RuntimeError):
    pass


class Lifecycle:
    def __init__(self) -> None:
        self._state = State.STARTING
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    @property
    def state(self) -> State:
        return self._state

    def to(self, target: State) -> bool:
        """Move to `target`; False if already there, an error if the move is not allowed."""
        with self._lock:
            if self._state == target:
                return False
            if target not in ALLOWED[self._state]:
                raise InvalidLifecycleTransition(f"executor cannot go from {self._state} to {target}")
            self._state = target
            self._changed.notify_all()
            return True

    @property
    def accepting_work(self) -> bool:
        return self._state == State.RUNNING

    def wait_until(self, target: State, timeout: float | None = None) -> bool:
        with self._lock:
            return self._changed.wait_for(lambda: self._state == target, timeout)
