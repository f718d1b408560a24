"""The `spark` phase kind: PySpark code or one Spark SQL query over named Delta/Parquet inputs, run on a
Spark Connect server (Sail locally; Apache Spark 4, Sail on Kubernetes or Databricks at scale).

The spec names a logical engine (`engine.name`), never an endpoint: the executor's configuration maps
the name to an `sc://` URL (controlroom.lakehouse.spark_endpoints), so a tenant cannot point its phase
at a server of its own choosing, and an operator can move a workspace to a bigger cluster without
touching its specs.

`SparkJob` is the work as a spec states it; `SparkRun` is what the phase subprocess receives (the params of
`controlroom.lakehouse.spark_phase:run`: the job plus the endpoint the executor resolved); `SparkPhase` is
how a pipeline spec declares it.
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from controlroom.lakehouse.models import DEFAULT_TIMEOUT_SHARE, SqlInput, SqlOutput, unique_inputs
from controlroom.phases.models import GiB, PhaseBase

SPARK_ENTRYPOINT = "controlroom.lakehouse.spark_phase:run"
ENGINE_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$"
_ENGINE_NAME = re.compile(ENGINE_NAME_PATTERN)
_FUNCTION = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SparkInput(SqlInput):
    """A Delta table or Parquet data set the job reads; registered as a temporary view of this name."""

    format: Literal["parquet", "delta"]  # Spark reads no CSV here: the bronze phases do


class SparkEngine(_Model):
    """Which Spark Connect engine runs the phase, and the caps it runs under."""

    name: str = Field(
        default="default",
        description="Logical engine name; the executor's CONTROLROOM_SPARK_ENDPOINTS maps it to an sc:// URL "
        "(per pool, or per workspace). Never a URL.",
    )
    timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Wall time from the phase's start (connecting included); then its Spark operations are "
        "interrupted (by the session's tag) and the session closed. Unset: "
        f"{DEFAULT_TIMEOUT_SHARE:.0%} of caps.wall_seconds.",
    )
    max_rows: int = Field(
        default=10_000_000, gt=0, description="Result rows; a larger result fails the phase, it is never written."
    )
    max_output_bytes: int = Field(
        default=10 * GiB, gt=0, description="Bytes of data files the output may add; measured after the write."
    )

    @field_validator("name")
    @classmethod
    def _logical_name(cls, value: str) -> str:
        if not _ENGINE_NAME.match(value):
            raise ValueError(
                f"{value!r} is not an engine name: use 1-63 of [a-z0-9_-] (a logical name such as 'default' or "
                "'big'; the executor's configuration maps it to an sc:// endpoint, a spec never holds one)"
            )
        return value


class SparkJob(_Model):
    query: str | None = Field(
        default=None,
        min_length=1,
        description="One Spark SQL SELECT over the inputs, by name. Give this or function, not both.",
    )
    query_params: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Values bound to `:name` parameters of the query (never spliced into the SQL text).",
    )
    function: str | None = Field(
        default=None,
        description="`module:function(spark, inputs, params)` returning the DataFrame to write; `inputs` maps "
        "each input's name to its DataFrame. Give this or query, not both.",
    )
    params: dict[str, JsonValue] = Field(default_factory=dict, description="Passed to the function.")
    pythonpath: list[str] = Field(default_factory=list, description="Where the function's module is found.")
    inputs: list[SparkInput] = Field(default_factory=list)
    output: SqlOutput
    engine: SparkEngine = Field(default_factory=SparkEngine)

    @field_validator("inputs")
    @classmethod
    def _unique_inputs(cls, value: list[SparkInput]) -> list[SparkInput]:
        unique_inputs(list(value))
        return value

    @field_validator("function")
    @classmethod
    def _function_shape(cls, value: str | None) -> str | None:
        if value is not None and not _FUNCTION.match(value):
            raise ValueError(f"function {value!r} must look like 'package.module:function'")
        return value

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        if (self.query is None) == (self.function is None):
            raise ValueError("a spark phase gives exactly one of query (Spark SQL) or function (module:function)")
        if self.query_params and self.query is None:
            raise ValueError("query_params apply to query only; pass values to a function with params")
        return self


class SparkRun(SparkJob):
    """What the entry point receives: the job plus what the executor adds from its own configuration."""

    endpoint: str | None = Field(default=None, description="sc:// URL, from CONTROLROOM_SPARK_ENDPOINTS.")
    session_credentials: bool = Field(
        default=False,
        description="From CONTROLROOM_SPARK_SESSION_CREDENTIALS: pass the run's vended S3 credentials in the "
        "session's configuration (for engines whose S3 connector reads it).",
    )


EXECUTOR_ONLY_FIELDS = frozenset(set(SparkRun.model_fields) - set(SparkJob.model_fields))


class SparkPhase(SparkJob, PhaseBase):
    kind: Literal["spark"] = "spark"

    @model_validator(mode="before")
    @classmethod
    def _no_endpoint_in_specs(cls, data: object) -> object:
        given = EXECUTOR_ONLY_FIELDS & set(data) if isinstance(data, dict) else set()
        if given:
            raise ValueError(
                "a spark phase names a logical engine (engine.name), never an endpoint: the executor's "
                "CONTROLROOM_SPARK_ENDPOINTS maps names to sc:// URLs (and CONTROLROOM_SPARK_SESSION_CREDENTIALS "
                f"says whether credentials go to the engine); remove {', '.join(sorted(given))}"
            )
        return data

    @model_validator(mode="after")
    def _timeout_within_wall(self) -> Self:
        if self.engine.timeout_seconds is not None and self.engine.timeout_seconds >= self.caps.wall_seconds:
            raise ValueError(
                f"engine.timeout_seconds ({self.engine.timeout_seconds:g}) must be below caps.wall_seconds "
                f"({self.caps.wall_seconds:g}), so the Spark operations are interrupted before the executor kills "
                "the phase; lower it or raise caps.wall_seconds"
            )
        return self

    def job(self) -> SparkJob:
        """The entry point's params, with the timeout made concrete (the endpoint comes later, from the executor)."""
        job = SparkJob.model_validate(self.model_dump(include=set(SparkJob.model_fields)))
        if job.engine.timeout_seconds is not None:
            return job
        timeout = round(self.caps.wall_seconds * DEFAULT_TIMEOUT_SHARE, 3)
        return job.model_copy(update={"engine": job.engine.model_copy(update={"timeout_seconds": timeout})})
