"""What crosses between the executor and a run's pod (pod per run): the plan in, the outcome out, both as
objects under the run attempt's own prefix in S3.

Why S3 and not the API: the pod holds only the run's vended credentials, scoped to its workspace's prefix
and to the run's lifetime. It gets no token for the control plane at all, so tenant code in the pod can
neither call an RPC nor reach another run's lease; the executor, which holds the lease, reads the outcome
back and reports it exactly as it reports a run it ran in its own pod (docs/architecture.md, "Pod per run").

The outcome is written by the pod, next to tenant code that holds the same credentials, so the executor
trusts it as far as it trusts a phase's own result file: it is bounded in size, validated, and can only say
something about this run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from controlroom.phases.models import EventLevel, PhaseResult, PythonPhase, ShellPhase

# Bounds on what the executor accepts back from a pod.
MAX_OUTCOME_BYTES = 64 * 1024 * 1024
MAX_OUTCOME_EVENTS = 10_000
POD_FOLDER = "_pod"  # not a phase name: phase names start with a letter or digit


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlannedPhase(_Model):
    kind: Literal["python", "shell", "sql", "spark"]
    runtime: PythonPhase | ShellPhase = Field(discriminator="kind")


class PodPlan(_Model):
    run_id: str
    attempt: int
    workspace_id: str
    phases: list[PlannedPhase] = Field(min_length=1)


class PodEvent(_Model):
    type: str = Field(pattern=r"^[a-z][a-z0-9_.-]{0,99}$")  # what emit_events accepts
    level: EventLevel
    message: str = Field(max_length=10_000)
    phase: str
    payload: dict[str, JsonValue] = Field(default_factory=dict)


class PodOutcome(_Model):
    """The phases that ran, in order; the last one that did not succeed ended the run."""

    results: list[PhaseResult]
    events: list[PodEvent] = Field(default_factory=list, max_length=MAX_OUTCOME_EVENTS)


def pod_prefix(workspace_id: str, run_id: str, attempt: int) -> str:
    return f"{workspace_id}/{run_id}/{attempt}/{POD_FOLDER}"


def outcome_key(plan_key: str) -> str:
    return plan_key.rsplit("/", 1)[0] + "/outcome.json"


def exit_code_of(outcome: PodOutcome) -> int:
    """The pod's exit status: 0 when every phase succeeded, else the failing phase's own (or 1)."""
    last = outcome.results[-1] if outcome.results else None
    if last is None or last.status == "succeeded":
        return 0
    code = last.exit_code
    return code if code else 1
