"""The routing document: ordered routes with matchers, grouping and an escalation chain; named targets
whose URLs and signing keys are the NAMES of the dispatcher's environment variables (never the
secrets themselves); inhibition rules. What `public.publish_routes` stores, plus the workspace it goes
to."""

from __future__ import annotations

import difflib
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from controlroom.specs.models import Slug

ENV_NAME_PATTERN = r"^[A-Z][A-Z0-9_]{0,127}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # route and target names
GLOB_CHARS = frozenset("*?")

SIGNAL_TYPES = (
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
)
RECOVERY_TYPES = ("run_recovered", "queue_drained", "executor_recovered", "budget_recovered")
SEVERITIES = ("critical", "warning", "info")

EnvName = Annotated[str, StringConstraints(pattern=ENV_NAME_PATTERN)]
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Glob = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# A matcher value: one glob, or a list of globs of which any may match.
Globs = Glob | Annotated[list[Glob], Field(min_length=1, max_length=100)]
# Seconds, as the database bounds them (a year at most); 0 means "at once" / "never".
Seconds = Annotated[int, Field(ge=0, le=31_536_000)]
LabelName = Annotated[str, StringConstraints(min_length=1, max_length=63)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _known(field: str, value: str | list[str] | None, allowed: tuple[str, ...]) -> str | list[str] | None:
    """A value without glob characters must be one the database knows (a typo must not match nothing)."""
    for item in [value] if isinstance(value, str) else value or []:
        if not GLOB_CHARS & set(item) and item not in allowed:
            close = difflib.get_close_matches(item, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "use one of " + ", ".join(allowed)
            raise ValueError(f"unknown {field} {item!r}; {hint}")
    return value


class Match(_Model):
    """Every given matcher must hold (AND); a list matches any of its globs (OR); absent = any."""

    signal_type: Globs | None = None
    severity: Globs | None = None
    spec: Globs | None = Field(default=None, description="Spec name glob(s): * and ? wildcards.")
    pool: Globs | None = None
    executor_id: Globs | None = None
    run_id: Globs | None = None
    labels: dict[LabelName, Glob] | None = None

    @field_validator("signal_type")
    @classmethod
    def _signal_types(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _known("signal type", value, SIGNAL_TYPES + RECOVERY_TYPES)

    @field_validator("severity")
    @classmethod
    def _severities(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _known("severity", value, SEVERITIES)


class Tier(_Model):
    targets: list[Name] = Field(min_length=1, max_length=20)
    after_seconds: Seconds = Field(
        default=0, description="Wait after the previous tier (tier 1: after group_wait) before paging this one."
    )


class Route(_Model):
    name: Name
    match: Match = Field(default_factory=lambda: Match())
    continue_: bool = Field(default=False, alias="continue", description="Keep evaluating later routes.")
    group_by: list[LabelName] | None = Field(default=None, max_length=20)
    group_wait_seconds: Seconds | None = Field(
        default=None,
        description="A group's first notification waits this long (default 0), carrying every alert that "
        "joins meanwhile.",
    )
    group_interval_seconds: Seconds | None = Field(
        default=None,
        description="A notified group sends a change (an alert joined or resolved) at most once per this interval "
        "after its last notification (default 0: at the next look).",
    )
    repeat_interval_seconds: Seconds | None = Field(
        default=None,
        description="An unchanged group with an unacknowledged alert is sent again this long after its last "
        "notification (default: never).",
    )
    reopen_window_seconds: Seconds | None = None
    send_resolved: bool | None = None
    escalation: list[Tier] = Field(min_length=1, max_length=10)


class Target(_Model):
    kind: Literal["webhook", "slack"]
    url_secret: EnvName = Field(description="NAME of the dispatcher's environment variable holding the URL.")
    signing_secret: EnvName | None = Field(
        default=None, description="NAME of the environment variable holding the HMAC-SHA256 key (webhook only)."
    )

    @model_validator(mode="after")
    def _signing_is_for_webhooks(self) -> Self:
        if self.kind == "slack" and self.signing_secret is not None:
            raise ValueError("signing_secret is for kind webhook; Slack incoming webhooks are not signed")
        return self


class InhibitRule(_Model):
    """While an alert matching source_match is open, alerts matching target_match that agree on every
    `equal` label are not delivered."""

    source_match: Match
    target_match: Match
    equal: list[LabelName] = Field(default_factory=list)


class Defaults(_Model):
    """Thresholds of the signals the alert sweep raises for this workspace."""

    queued_warning_seconds: float | None = Field(default=None, ge=0)
    executor_lost_seconds: float | None = Field(default=None, ge=0)
    reopen_window_seconds: float | None = Field(default=None, ge=0)
    budget_burn_ratio: float | None = Field(default=None, ge=0, le=1)


class RoutingDocument(_Model):
    workspace: Slug = Field(description="The workspace the routes are published to.")
    defaults: Defaults = Field(default_factory=lambda: Defaults())
    targets: dict[Name, Target] = Field(min_length=1)
    routes: list[Route] = Field(min_length=1, max_length=200)
    inhibit_rules: list[InhibitRule] = Field(default_factory=list, max_length=100)
