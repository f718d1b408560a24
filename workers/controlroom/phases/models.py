"""Phase specs, caps and results: the typed contract between the executor loop and the runners.

The defaults here are the ones documented in docs/caps.md; change both together.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, TypeAdapter, field_validator

MiB = 1024 * 1024
GiB = 1024 * MiB

PhaseStatus = Literal["succeeded", "failed", "cap_exceeded", "cancelled"]
CapName = Literal[
    "wall_time",
    "cpu_time",
    "memory",
    "output_bytes",
    "result_bytes",
    "query_memory",
    "query_time",
    "query_rows",
    "query_output_bytes",
]
EventLevel = Literal["debug", "info", "warning", "error"]

# Slack for process start-up, scheduling and reaping on a loaded host, on top of the poll interval
# and the kill grace. Part of the documented enforcement bound (see PhaseCaps.enforcement_bound).
SCHEDULING_SLACK_SECONDS = 1.0

_ENTRYPOINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# What `retry_on` may name: a failure kind (deterministic | transient) or an error class as reported.
RETRY_ON_PATTERN = r"^[A-Za-z0-9_.:-]{1,200}$"
RetryOn = Annotated[str, StringConstraints(pattern=RETRY_ON_PATTERN)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhaseCaps(_Model):
    """Executor-level caps for one phase. Every phase has all of them; a spec may only tighten or loosen."""

    wall_seconds: float = Field(default=3600.0, gt=0, description="Elapsed time from spawn.")
    cpu_seconds: float = Field(default=3600.0, gt=0, description="user+system CPU across the process group.")
    memory_bytes: int = Field(default=2 * GiB, gt=0, description="Resident memory summed across the group.")
    address_space_bytes: int | None = Field(
        default=None,
        ge=0,
        description="RLIMIT_AS per process. None: same as memory_bytes. 0: not set (RSS polling only), "
        "for runtimes that reserve far more virtual memory than they use (JVMs, some thread pools).",
    )
    output_bytes: int = Field(default=64 * MiB, gt=0, description="stdout+stderr bytes, combined.")
    result_bytes: int = Field(default=1 * MiB, gt=0, description="Size of a python phase's JSON result.")
    kill_grace_seconds: float = Field(default=5.0, ge=0, description="SIGTERM to SIGKILL delay.")
    poll_interval_seconds: float = Field(default=0.2, gt=0, le=5, description="/proc sampling period.")

    @property
    def rlimit_as(self) -> int | None:
        if self.address_space_bytes is None:
            return self.memory_bytes
        return self.address_space_bytes or None

    @property
    def enforcement_bound(self) -> float:
        """How long a phase may outlive the moment it breaches a cap, at most (seconds; for cpu_time,
        CPU seconds per core in use). Detection takes up to one poll, termination up to the grace."""
        return self.poll_interval_seconds + self.kill_grace_seconds + SCHEDULING_SLACK_SECONDS


class PhaseBase(_Model):
    name: str = Field(description="Unique within the pipeline; used in artifact keys.")
    env: dict[str, str] = Field(default_factory=dict, description="Added to the phase's minimal environment.")
    cwd: str | None = Field(default=None, description="Working directory; default: the context's workdir.")
    caps: PhaseCaps = Field(default_factory=PhaseCaps)
    retry_on: list[RetryOn] | None = Field(
        default=None,
        max_length=50,
        description="Failures of this phase that get another attempt: failure kinds (transient, "
        "deterministic) or error classes (e.g. ModuleNotFoundError). Unset: [transient]; []: never retry.",
    )

    @field_validator("name")
    @classmethod
    def _name_is_a_key_segment(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("phase names are 1-128 of [A-Za-z0-9._-], starting with a letter or digit")
        return value


class PythonPhase(PhaseBase):
    kind: Literal["python"] = "python"
    entrypoint: str = Field(description="`module:function`; the function takes the params dict.")
    params: dict[str, JsonValue] = Field(default_factory=dict)
    pythonpath: list[str] = Field(default_factory=list, description="Prepended to sys.path in the phase.")

    @field_validator("entrypoint")
    @classmethod
    def _entrypoint_shape(cls, value: str) -> str:
        if not _ENTRYPOINT.match(value):
            raise ValueError(f"entrypoint {value!r} must look like 'package.module:function'")
        return value


class ShellPhase(PhaseBase):
    kind: Literal["shell"] = "shell"
    argv: list[str] = Field(min_length=1, description="Executed directly; no shell is involved.")

    @field_validator("argv", mode="before")
    @classmethod
    def _reject_shell_strings(cls, value: object) -> object:
        if isinstance(value, str):
            raise ValueError(  # noqa: TRY004 - pydantic turns only ValueError into a ValidationError
                "shell phases take an argv list, not a shell string (no shell parses it, so quoting and "
                "injection cannot go wrong); write e.g. ['tar', '-xf', 'in.tar'], or ['bash', '-c', "
                "'...'] if you really need shell syntax"
            )
        return value

    @field_validator("argv")
    @classmethod
    def _program_present(cls, value: list[str]) -> list[str]:
        if not value[0]:
            raise ValueError("argv[0] (the program) must not be empty")
        return value


PhaseSpec = Annotated[PythonPhase | ShellPhase, Field(discriminator="kind")]
phase_spec_adapter: TypeAdapter[PythonPhase | ShellPhase] = TypeAdapter(PhaseSpec)


def parse_phase_spec(data: object) -> PythonPhase | ShellPhase:
    """Validate a phase from a pipeline spec body (raises pydantic.ValidationError with the reason)."""
    return phase_spec_adapter.validate_python(data)


class CapBreach(_Model):
    cap: CapName
    limit: float
    measured: float
    unit: Literal["seconds", "cpu_seconds", "bytes", "rows"]
    detail: str = Field(description="How it was detected, in words an operator can act on.")
    at_seconds: float = Field(description="Phase time at detection (since spawn).")


class PhaseResult(_Model):
    phase: str
    kind: Literal["python", "shell"]
    status: PhaseStatus
    exit_code: int | None = Field(description="Exit status of the phase's leader process, if it exited.")
    signal: int | None = Field(description="Signal that ended the leader process, if any.")
    duration_seconds: float
    cpu_seconds: float = Field(description="user+system across the group; a lower bound, see docs/caps.md.")
    peak_rss_bytes: int
    stdout_bytes: int = Field(description="Bytes the phase wrote to stdout (the log keeps at most the cap).")
    stderr_bytes: int
    breach: CapBreach | None = None
    result: JsonValue = Field(default=None, description="A python phase's return value.")
    error_class: str | None = None
    error_message: str | None = None
