"""The pipeline spec: what a YAML file in specs/ means, and what `pipeline_specs.body` stores.

Phases run in list order; each names the datasets it reads and writes, which is the lineage the
executor records. python and shell phases are the phase layer's own models plus those declarations;
sql phases are controlroom.lakehouse.models.SqlPhase, spark phases controlroom.lakehouse.spark_models.SparkPhase.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaValueError
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, field_validator, model_validator

from controlroom.lakehouse.models import SqlPhase, check_uri
from controlroom.lakehouse.spark_models import SparkPhase
from controlroom.phases.models import PythonPhase, ShellPhase
from controlroom.specs.cron import cron_problem

SCHEDULE_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$"
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
LABEL_KEY_PATTERN = r"^[a-z0-9](?:[a-z0-9._/-]{0,61}[a-z0-9])?$"
DATASET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
LabelKey = Annotated[str, StringConstraints(pattern=LABEL_KEY_PATTERN)]
DatasetName = Annotated[str, StringConstraints(pattern=DATASET_NAME_PATTERN)]
DatasetFormat = Literal["csv", "parquet", "delta", "json", "text", "binary"]

EMPTY_PARAMS_SCHEMA: dict[str, JsonValue] = {"type": "object", "properties": {}, "additionalProperties": False}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dataset(_Model):
    """A dataset or artifact a python or shell phase reads or writes (declared for lineage)."""

    name: DatasetName
    uri: str = Field(description="s3://bucket/key or an absolute path; may use ${params.X} and ${run.X}.")
    format: DatasetFormat | None = None

    @field_validator("uri")
    @classmethod
    def _uri_shape(cls, value: str) -> str:
        return check_uri(value)


def _unique_names(kind: str, items: list[Dataset]) -> list[Dataset]:
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ValueError(f"{kind} name {item.name!r} is used twice; names must be unique within a phase")
        seen.add(item.name)
    return items


class PythonPhaseSpec(PythonPhase):
    inputs: list[Dataset] = Field(default_factory=list)
    outputs: list[Dataset] = Field(default_factory=list)

    @field_validator("inputs", "outputs")
    @classmethod
    def _unique(cls, value: list[Dataset]) -> list[Dataset]:
        return _unique_names("dataset", value)

    def runtime(self) -> PythonPhase:
        return PythonPhase.model_validate(self.model_dump(exclude={"inputs", "outputs"}))


class ShellPhaseSpec(ShellPhase):
    inputs: list[Dataset] = Field(default_factory=list)
    outputs: list[Dataset] = Field(default_factory=list)

    @field_validator("inputs", "outputs")
    @classmethod
    def _unique(cls, value: list[Dataset]) -> list[Dataset]:
        return _unique_names("dataset", value)

    def runtime(self) -> ShellPhase:
        return ShellPhase.model_validate(self.model_dump(exclude={"inputs", "outputs"}))


PhaseSpec = Annotated[PythonPhaseSpec | ShellPhaseSpec | SqlPhase | SparkPhase, Field(discriminator="kind")]
PHASE_KINDS = ("python", "shell", "sql", "spark")


class RetryPolicy(_Model):
    """delay before attempt n+1 = min(max_backoff_seconds, base_seconds * 2^(n-1)) + up to jitter_seconds."""

    max_attempts: int = Field(default=3, ge=1, le=100, description="Attempts in all, the first one included.")
    base_seconds: float = Field(default=10.0, ge=0)
    max_backoff_seconds: float = Field(default=3600.0, ge=0)
    jitter_seconds: float = Field(default=0.0, ge=0, description="Upper bound of a random extra delay.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.max_backoff_seconds < self.base_seconds:
            raise ValueError(
                f"max_backoff_seconds ({self.max_backoff_seconds:g}) must be >= base_seconds ({self.base_seconds:g})"
            )
        return self

    def delay_seconds(self, attempt: int) -> float:
        """Backoff after attempt `attempt` (1-based) failed, without jitter."""
        return float(min(self.max_backoff_seconds, self.base_seconds * 2 ** (attempt - 1)))


class RunCaps(_Model):
    """Orchestration caps, enforced by the control plane (the attempt cap is retries.max_attempts)."""

    max_duration_seconds: int = Field(
        default=86_400, gt=0, description="From the first claim to the end; then the run is timed_out."
    )


class Schedule(_Model):
    """A cron schedule of the spec (docs/specs.md, "schedules"): the control plane's tick submits a run
    of the current version with these params at each fire time, read in `timezone`."""

    name: Annotated[str, StringConstraints(pattern=SCHEDULE_NAME_PATTERN)] = Field(
        description="Unique within the spec; pause and resume name it."
    )
    cron: str = Field(
        description="Five fields: minute hour day-of-month month day-of-week (lists, ranges, steps, JAN/MON names)."
    )
    timezone: str = Field(default="UTC", description="IANA time zone the expression is read in.")
    params: dict[str, JsonValue] = Field(default_factory=dict, description="Params of the runs it submits.")
    catchup: Literal["none", "latest", "all"] = Field(
        default="latest",
        description="After missed fire times: none, latest (one run for the newest), all (the newest max_catchup).",
    )
    max_catchup: int = Field(default=10, ge=1, le=100, description="Most fire times one tick runs under catchup all.")
    paused: bool = Field(default=False, description="Start paused; a change here on publish overrides an operator.")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        problem = cron_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone name; write e.g. Europe/Berlin, America/New_York or UTC"
            ) from None
        return value


class SpecAlerts(_Model):
    """What alerting watches for this pipeline (issue 14; the alert sweep reads it from the published body):
    Databricks' duration warning, a queue-wait threshold, and labels that routes can match."""

    duration_warning_seconds: float | None = Field(
        default=None, gt=0, description="A run still active this long after it started raises run_too_long."
    )
    queued_warning_seconds: float | None = Field(
        default=None, gt=0, description="A run queued this long raises run_stuck_queued (else the routing default)."
    )
    labels: dict[LabelKey, str] = Field(default_factory=dict, description="Labels on this pipeline's signals.")
    criticality: Literal["low", "medium", "high", "critical"] = Field(
        default="medium", description="Weighs this pipeline's alerts in their score (explain_alert_score)."
    )


class PipelineSpec(_Model):
    name: Slug = Field(description="Stable identity of the pipeline across versions.")
    version: int = Field(ge=1, description="Positive integer; publish a changed body under a new version.")
    description: str = ""
    workspace: Slug
    pool: Slug = Field(default="default", description="Executor pool that may claim its runs.")
    labels: dict[LabelKey, str] = Field(default_factory=dict, description="Executors must carry all of these.")
    params: dict[str, JsonValue] = Field(
        default_factory=lambda: dict(EMPTY_PARAMS_SCHEMA),
        description="JSON Schema (draft 2020-12) of the run parameters, an object schema; defaults live in it.",
    )
    phases: list[PhaseSpec] = Field(min_length=1, description="Run in this order; a failed phase ends the attempt.")
    caps: RunCaps = Field(default_factory=RunCaps)
    retries: RetryPolicy = Field(default_factory=RetryPolicy)
    heartbeat_tolerance_seconds: int = Field(
        default=900, ge=30, description="A lease whose last heartbeat is older than this is lost and requeued."
    )
    due_within_seconds: int | None = Field(
        default=None,
        gt=0,
        description="A run is due this many seconds after it is submitted (unless submitted with its own due_by): "
        "the deadline factor of its score rises as that time nears.",
    )
    # None (not []) by default, so a spec without schedules keeps the body and hash it always had.
    schedules: list[Schedule] | None = Field(
        default=None, max_length=20, description="Cron schedules; the current version of the spec owns them."
    )
    alerts: SpecAlerts | None = Field(default=None, description="Alerting thresholds and labels (docs/alerting.md).")

    @field_validator("params")
    @classmethod
    def _params_schema(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        check_params_schema(value)
        return value

    @field_validator("phases")
    @classmethod
    def _unique_phase_names(
        cls, value: list[PythonPhaseSpec | ShellPhaseSpec | SqlPhase | SparkPhase]
    ) -> list[PythonPhaseSpec | ShellPhaseSpec | SqlPhase | SparkPhase]:
        first: dict[str, int] = {}
        for index, phase in enumerate(value):
            if phase.name in first:
                raise ValueError(
                    f"phase name {phase.name!r} is used by phases[{first[phase.name]}] and "
                    f"phases[{index}]; rename one (names key artifacts and events)"
                )
            first[phase.name] = index
        return value

    @field_validator("schedules")
    @classmethod
    def _unique_schedule_names(cls, value: list[Schedule] | None) -> list[Schedule] | None:
        seen: dict[str, int] = {}
        for index, schedule in enumerate(value or []):
            if schedule.name in seen:
                raise ValueError(
                    f"schedule name {schedule.name!r} is used by schedules[{seen[schedule.name]}] and "
                    f"schedules[{index}]; schedule names are unique within a spec"
                )
            seen[schedule.name] = index
        return value

    @property
    def param_names(self) -> set[str]:
        properties = self.params.get("properties")
        return set(properties) if isinstance(properties, dict) else set()


def check_params_schema(schema: dict[str, JsonValue]) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        raise ValueError(f"not a valid JSON Schema{f' at {where}' if where else ''}: {exc.message}") from None
    if schema.get("type") != "object":
        raise ValueError("must be an object schema: type: object, with the parameters under properties")
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        return
    for name, prop in properties.items():
        if isinstance(prop, dict) and "default" in prop:
            try:
                Draft202012Validator(prop).validate(prop["default"])
            except SchemaValueError as exc:
                raise ValueError(
                    f"the default of parameter {name!r} does not match its own schema: {exc.message}"
                ) from None
