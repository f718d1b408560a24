"""What a phase runner needs from its caller besides the spec: where to work, how to report, when to stop.

A dataclass rather than a pydantic model: it carries live handles (an Event, callables, sinks),
not data that crosses a process or network boundary.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import JsonValue

from controlroom.phases.identity import PhaseIdentity
from controlroom.phases.models import EventLevel
from controlroom.phases.sinks import LogSink, NullLogSink

# on_event(type, level, message, payload); the caller batches these into emit_events.
EventCallback = Callable[[str, EventLevel, str, dict[str, JsonValue]], None]

PHASE_STARTED = "phase.started"
PHASE_FINISHED = "phase.finished"
PHASE_LOG = "phase.log"
CAP_EXCEEDED = "cap.exceeded"


def ignore_event(type_: str, level: EventLevel, message: str, payload: dict[str, JsonValue]) -> None:
    return None


@dataclass(frozen=True)
class PhaseContext:
    workdir: Path  # private scratch directory of this phase (default cwd, params/result files)
    cancel: threading.Event = field(default_factory=threading.Event)
    on_event: EventCallback = ignore_event
    stdout: LogSink = field(default_factory=NullLogSink)
    stderr: LogSink = field(default_factory=NullLogSink)
    env: Mapping[str, str] = field(default_factory=dict)  # e.g. data-plane credentials for the phase
    python: str = sys.executable  # must have the controlroom package importable
    # The uid/gid the phase runs as (None: the caller's own). workdir must already belong to it.
    identity: PhaseIdentity | None = None
