"""The routing document: ordered routes with matchers, grouping and an escalation chain; named targets
whose URLs and signing keys are the NAMES of the dispatcher's environment variables (never the
secrets themselves); inhibition rules. What `public.publish_routes` stores, plus the workspace it goes
to."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from controlroom.specs.models import LABEL_KEY_PATTERN, SLUG_PATTERN

ENV_NAME_PATTERN = r"^[A-Z][A-Z0-9_]{0,127}$"
TARGET_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$"

SignalType = Literal[
    "run_failed",
    "run_timed_out",
    "cap_exceeded",
    "retries_exhausted",
    "run_too_long",
    "run_stuck_queued",
    "executor_lost",
    "budget_burn",
    "artifact_verification_failed",
    "lease_rejected",
]
Severity = Literal["critical", "warning", "info"]
GroupField = Literal["workspace", "spec", "pool", "signal_type", "severity", "run", "executor", "fingerprint"]

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
LabelKey = Annotated[str, StringConstraints(pattern=LABEL_KEY_PATTERN)]
EnvName = Annotated[str, StringConstraints(pattern=ENV_NAME_PATTERN)]
TargetName = Annotated[str, StringConstraints(pattern=TARGET_NAME_PATTERN)]
# A day is the longest a grouping or escalation delay may be; 0 means "at once".
Seconds = Annotated[int, Field(ge=0, le=86_400)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Match(_Model):
    """Every given matcher must hold (AND); a list matches any of its values (OR); absent = any."""

    signal_type: list[SignalType] | None = Field(default=None, min_length=1)
    severity: list[Severity] | None = Field(default=None, min_length=1)
    spec: str | None = Field(default=None, min_length=1, max_length=200, description="Spec name glob: * and ? wildcards.")
    pool: list[str] | None = Field(default=None, min_length=1)
    labels: dict[LabelKey, str] | None = None


class Tier(_Model):
    targets: list[TargetName] = Field(min_length=1)
    after_seconds: Seconds = Field(description="Delay after the alert opened before this tier is paged.")


class Grouping(_Model):
    group_by: list[GroupField] | None = None
    group_wait_seconds: Seconds | None = None
    group_interval_seconds: Seconds | None = None
    repeat_interval_seconds: Seconds | None = None


class Route(Grouping):
    name: Slug
    match: Match = Field(default_factory=lambda: Match())
    continue_: bool = Field(default=False, alias="continue", description="Keep evaluating later routes after this one.")
    escalation: list[Tier] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _tiers_in_order(self) -> Self:
        delays = [tier.after_seconds for tier in self.escalation]
        if delays[0] != 0:
            raise ValueError("escalation[0].after_seconds must be 0: the first tier is paged when the alert opens")
        if any(b <= a for a, b in pairwise(delays)):
            raise ValueError(f"escalation delays must increase tier by tier, got {delays}")
        return self


class Target(_Model):
    kind: Literal["webhook", "slack"]
    url_secret: EnvName = Field(description="NAME of the dispatcher's environment variable holding the URL.")
    signing_secret: EnvName | None = Field(
        None, description="NAME of the environment variable holding the HMAC-SHA256 key (webhook only)."
    )

    @model_validator(mode="after")
    def _signing_is_for_webhooks(self) -> Self:
        if self.kind == "slack" and self.signing_secret is not None:
            raise ValueError("signing_secret is for kind webhook; Slack incoming webhooks are not signed")
        return self


class InhibitRule(_Model):
    """While an alert matching source_match is open, alerts matching target_match that agree on every
    `equal` field are not delivered."""

    source_match: Match
    target_match: Match
    equal: list[GroupField] = Field(default_factory=list)


class RoutingDocument(_Model):
    workspace: Slug = Field(description="The workspace the routes are published to.")
    defaults: Grouping = Field(default_factory=Grouping)
    targets: dict[TargetName, Target] = Field(min_length=1)
    routes: list[Route] = Field(min_length=1, max_length=200)
    inhibit_rules: list[InhibitRule] = Field(default_factory=list)
