"""Typed payloads of the control-plane RPCs (mirrors of the SQL return shapes in supabase/migrations)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    # The control plane may add fields (expand → contract migrations); old clients ignore them.
    model_config = ConfigDict(extra="ignore", frozen=True)


class ExecutorRecord(_Model):
    id: UUID
    pool: str
    workspace_id: UUID | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    version: str | None = None
    host: str | None = None


class ClaimedRun(_Model):
    run_id: UUID
    attempt_id: UUID
    attempt_no: int
    lease_token: UUID
    lease_expires_at: datetime
    heartbeat_tolerance_seconds: float
    deadline_at: datetime | None = None
    workspace_id: UUID
    spec_id: UUID
    spec_name: str
    spec_version: str
    spec_hash: str
    spec_body: dict[str, Any]
    params: dict[str, Any] = Field(default_factory=dict)
    priority: int = 0


class InvalidClaim(_Model):
    """A claimed run whose payload could not be decoded: the executor fails it (it holds its lease)."""

    reason: str
    lease_token: UUID | None = None
    run_id: UUID | None = None
    attempt_no: int | None = None

    @classmethod
    def from_fields(cls, fields: dict[str, Any], reason: str) -> InvalidClaim:
        def pick(name: str, kind: type) -> Any:
            value = fields.get(name)
            try:
                return kind(value) if value is not None else None
            except (TypeError, ValueError):
                return None

        return cls(
            reason=reason,
            lease_token=pick("lease_token", UUID),
            run_id=pick("run_id", UUID),
            attempt_no=pick("attempt_no", int),
        )


class ClaimReply(_Model):
    runs: list[ClaimedRun]
    invalid: list[InvalidClaim] = Field(default_factory=list)


Directive = Literal["continue", "cancel", "lease_lost"]


class HeartbeatReply(_Model):
    lease: UUID
    run_id: UUID | None = None
    attempt_id: UUID | None = None
    directive: Directive
    reason: str | None = None
    lease_expires_at: datetime | None = None


class LeaseReply(_Model):
    outcome: Literal["accepted", "duplicate"]
    run_id: UUID
    attempt_id: UUID
    attempt_no: int
    attempt_status: str
    run_status: str
    cancel_requested: bool = False
    not_before: datetime | None = None


class Completion(_Model):
    """One item of complete_runs: a running attempt's lease, its result and its last events."""

    lease: UUID
    result: dict[str, Any] | None = None
    events: list[dict[str, Any]] = Field(default_factory=list)


class CompletionReply(_Model):
    """The answer to one item of complete_runs (the call itself succeeds when items fail)."""

    item: int
    lease: UUID
    outcome: Literal["accepted", "duplicate", "rejected", "not_found", "not_started"]
    code: str | None = None  # PT409 rejected, PT404 not_found, PT422 not_started
    message: str | None = None
    run_id: UUID | None = None
    attempt_id: UUID | None = None
    attempt_no: int | None = None
    attempt_status: str | None = None
    run_status: str | None = None
    events_accepted: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome in ("accepted", "duplicate")


class SubmitReply(_Model):
    """The answer to one item of submit_runs (the call itself succeeds when items are refused)."""

    item: int
    outcome: Literal["accepted", "duplicate", "rejected"]
    code: str | None = None  # PT404, 23505, 22023, PT429, 40001 when rejected (docs/errors.md)
    message: str | None = None
    detail: str | None = None
    hint: str | None = None
    run_id: UUID | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("accepted", "duplicate")


class EventsReply(_Model):
    outcome: str
    run_id: UUID
    attempt_id: UUID
    accepted: int
    duplicates: int = 0


class ArtifactReply(_Model):
    outcome: Literal["accepted", "duplicate"]
    artifact_id: UUID
    run_id: UUID
    attempt_id: UUID
    name: str
    uri: str
    sha256: str
    size_bytes: int


class Workspace(_Model):
    id: UUID
    slug: str
    name: str | None = None


class PublishedSpec(_Model):
    id: UUID
    workspace_id: UUID
    name: str
    version: str
    spec_hash: str
    body: dict[str, Any]


class Run(_Model):
    id: UUID
    workspace_id: UUID
    spec_id: UUID
    status: str
    params: dict[str, Any] = Field(default_factory=dict)
    priority: int = 0
    idempotency_key: str | None = None
    pool: str | None = None
    attempt_count: int = 0
    not_before: datetime | None = None
    created_at: datetime | None = None
    first_claimed_at: datetime | None = None
    finished_at: datetime | None = None
    cancel_requested_at: datetime | None = None
    status_reason: str | None = None
    score: float | None = None
    due_by: datetime | None = None


class ScoreFactor(_Model):
    """A row of public.explain_score: one factor of a run's score (or the `total` and `stored` rows,
    which carry only `contribution`); see docs/architecture.md, "Scheduling"."""

    factor: str
    raw: float | None = None
    normalised: float | None = None
    weight: float | None = None
    contribution: float | None = None


# -- read models (rows of tables and views; RLS decides which the caller sees) --------------------


class RunBoardRow(_Model):
    """A row of public.run_board: a run with its spec and its latest attempt."""

    run_id: UUID
    workspace_id: UUID
    spec_name: str
    spec_version: str
    spec_hash: str
    status: str
    priority: int = 0
    pool: str | None = None
    created_at: datetime
    not_before: datetime | None = None
    attempt_count: int = 0
    max_attempts: int | None = None
    executor_id: UUID | None = None
    attempt_status: str | None = None
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    lease_expires_at: datetime | None = None
    deadline_at: datetime | None = None
    cancel_requested_at: datetime | None = None
    finished_at: datetime | None = None
    status_changed_at: datetime | None = None
    status_changed_by: str | None = None
    status_reason: str | None = None
    last_error_class: str | None = None
    last_error_message: str | None = None


class ScheduleRow(_Model):
    """A row of public.schedules (what pause_schedule and resume_schedule answer)."""

    id: UUID
    workspace_id: UUID
    spec_name: str
    name: str
    cron: str
    timezone: str
    paused: bool
    paused_by: str | None = None
    next_fire_at: datetime | None = None


class ScheduleBoardRow(_Model):
    """A row of public.schedule_board: a schedule with its next fire time and its last tick."""

    schedule_id: UUID
    workspace_id: UUID
    spec_name: str
    spec_version: str
    name: str
    cron: str
    timezone: str
    catchup: str
    max_catchup: int
    paused: bool
    paused_at: datetime | None = None
    paused_by: str | None = None
    next_fire_at: datetime | None = None
    fired_through: datetime | None = None
    last_fire_at: datetime | None = None
    last_outcome: str | None = None
    last_code: str | None = None
    last_message: str | None = None
    last_run_id: UUID | None = None
    last_run_status: str | None = None


class RunAttempt(_Model):
    """A row of public.run_attempts, without its lease token."""

    id: UUID
    run_id: UUID
    attempt_no: int
    executor_id: UUID | None = None
    status: str
    claimed_at: datetime | None = None
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
    error_class: str | None = None
    error_message: str | None = None
    retryable: bool | None = None


class RunTransition(_Model):
    """A row of public.run_transitions: the audit trail of a run's status."""

    id: int
    run_id: UUID
    attempt_no: int | None = None
    from_status: str | None = None
    to_status: str
    actor: str
    reason: str
    at: datetime


class UsageRow(_Model):
    """A row of public.workspace_usage: run-seconds of one workspace, budget day and pool."""

    workspace_id: UUID
    day: date
    time_zone: str
    pool: str
    run_seconds: float
    cost_seconds: float
    attempts: int
    daily_budget_seconds: float | None = None


class WaitReason(_Model):
    """A row of public.explain_wait: one reason a queued run is not being claimed (rank 1 is the most
    specific; see docs/caps.md, "Why is it waiting")."""

    rank: int
    reason: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class RunEvent(_Model):
    """A row of public.run_events."""

    id: int
    run_id: UUID
    attempt_id: UUID | None = None
    seq: int | None = None
    source: str
    type: str
    level: str
    phase: str | None = None
    message: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    ts: datetime


class Artifact(_Model):
    """A row of public.artifacts: an object a run registered in the data plane."""

    id: UUID
    workspace_id: UUID
    run_id: UUID
    attempt_id: UUID
    phase: str
    name: str
    uri: str
    sha256: str
    size_bytes: int
    content_type: str = "application/octet-stream"
    lineage: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    version_id: str | None = None  # the S3 version the upload created; verify reads exactly it
    etag: str | None = None


class ReusedArtifact(_Model):
    """A recorded output a repair reuses (run_lineage.reused): produced by run_id, checked by sha256."""

    phase: str
    artifact_id: UUID
    run_id: UUID
    attempt_id: UUID
    name: str
    uri: str
    sha256: str
    size_bytes: int
    content_type: str = "application/octet-stream"
    version_id: str | None = None
    etag: str | None = None


class RepairPlan(_Model):
    """repair_plan's answer: how the leased run was made; for a repair, where to start and what to reuse."""

    run_id: UUID
    parent_run_id: UUID | None = None
    kind: Literal["rerun", "repair"] | None = None
    from_phase: str | None = None
    reused: list[ReusedArtifact] = Field(default_factory=list)


class RunLineage(_Model):
    """A row of public.run_lineage."""

    run_id: UUID
    parent_run_id: UUID
    kind: Literal["rerun", "repair"]
    from_phase: str | None = None
    reused: list[ReusedArtifact] = Field(default_factory=list)
    created_at: datetime
    created_by: str


class ArtifactExpiryClaim(_Model):
    """One item of claim_artifact_expiries: delete exactly `version_id` of `uri`, then confirm with the token."""

    artifact_id: UUID
    lease_token: UUID
    lease_expires_at: datetime
    attempt: int
    workspace_id: UUID
    run_id: UUID
    uri: str
    version_id: str | None = None
    etag: str | None = None
    sha256: str
    size_bytes: int
    cutoff: datetime


class ArtifactExpiryClaims(_Model):
    expiries: list[ArtifactExpiryClaim]
    enqueued: int
    as_of: datetime


class ArtifactExpiryResult(_Model):
    """What the retention process reports for one claimed artifact (confirm_artifact_expiries' item)."""

    artifact_id: UUID
    lease_token: UUID
    outcome: Literal["deleted", "already_gone", "locked", "failed"]
    retain_until: datetime | None = None
    error: str | None = None


class ArtifactExpiryReply(_Model):
    """confirm_artifact_expiries' answer for one item: accepted | duplicate | rejected (code PT409/PT404)."""

    artifact_id: UUID
    outcome: Literal["accepted", "duplicate", "rejected"]
    recorded: Literal["expired", "deferred"] | None = None
    retry_at: datetime | None = None
    code: str | None = None
    message: str | None = None


class ArtifactExpiry(_Model):
    """A row of public.artifact_expiries: retention deleted this artifact's object (the record stays)."""

    artifact_id: UUID
    workspace_id: UUID
    run_id: UUID
    uri: str
    version_id: str | None = None
    outcome: Literal["deleted", "already_gone"]
    cutoff: datetime
    expired_by: str
    expired_at: datetime
