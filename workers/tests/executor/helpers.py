"""Small helpers shared by the phase tests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import JsonValue

from controlroom.phases.context import PhaseContext
from controlroom.phases.models import EventLevel, PhaseResult, parse_phase_spec
from controlroom.phases.procfs import group_members
from controlroom.phases.runner import run_phase

# Short grace and poll so the cap tests stay quick; the bound they assert is derived from them.
FAST: dict[str, float] = {"kill_grace_seconds": 1.0, "poll_interval_seconds": 0.1}
MiB = 1024 * 1024
HERE = Path(__file__).resolve().parent


@dataclass
class Recorder:
    events: list[tuple[str, EventLevel, str, dict[str, JsonValue]]] = field(default_factory=list)

    def __call__(self, type_: str, level: EventLevel, message: str, payload: dict[str, JsonValue]) -> None:
        self.events.append((type_, level, message, payload))

    def types(self) -> list[str]:
        return [e[0] for e in self.events]

    def of(self, type_: str) -> list[dict[str, JsonValue]]:
        return [e[3] for e in self.events if e[0] == type_]


@dataclass
class PhaseHarness:
    ctx: PhaseContext
    events: Recorder
    stdout_path: Path
    stderr_path: Path

    def stdout(self) -> bytes:
        return self.stdout_path.read_bytes()

    def stderr(self) -> bytes:
        return self.stderr_path.read_bytes()


def python_phase(entrypoint: str, params: dict[str, JsonValue] | None = None, **caps: float) -> dict[str, JsonValue]:
    """A python phase spec (as it would appear in a pipeline spec) running a function of phase_funcs."""
    return {
        "kind": "python",
        "name": "py",
        "entrypoint": f"phase_funcs:{entrypoint}",
        "params": params or {},
        "pythonpath": [str(HERE)],
        "caps": dict(caps),
    }


def shell_phase(argv: list[str], **caps: float) -> dict[str, JsonValue]:
    return {"kind": "shell", "name": "sh", "argv": list(argv), "caps": dict(caps)}


def run(spec: dict[str, Any], harness: PhaseHarness) -> tuple[PhaseResult, float, float]:
    """Run a phase; returns (result, seconds it took seen from outside, the spec's enforcement bound)."""
    parsed = parse_phase_spec(spec)
    started = time.monotonic()
    result = run_phase(parsed, harness.ctx)
    return result, time.monotonic() - started, parsed.caps.enforcement_bound


def assert_group_gone(harness: PhaseHarness) -> None:
    """No process of the phase's group survives run_phase."""
    (started,) = harness.events.of("phase.started")
    pid = started["pid"]
    assert isinstance(pid, int)
    assert group_members(pid) == []


def stamp(text: bytes, label: str) -> float:
    """The monotonic time a phase printed as `<label> <time>` (CLOCK_MONOTONIC is system-wide)."""
    stamps = [float(line.split()[1]) for line in text.decode().splitlines() if line.startswith(label + " ")]
    assert stamps, f"the phase never printed {label!r}"
    return max(stamps)
