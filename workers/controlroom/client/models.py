"""Typed payloads of the control-plane RPCs (mirrors of the SQL return shapes in supabase/migrations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    # The control plane may add fields (expand → contract migrations); old clients ignore them.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Executor(_Model):
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
