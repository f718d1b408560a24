"""The `sql` phase kind: DuckDB over named inputs, one output, under query-engine caps.

`SqlJob` is what the phase subprocess receives (the params of `controlroom.lakehouse.sql_phase:run`);
`SqlPhase` is how a pipeline spec declares it: a job plus the executor-level fields every phase has.
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

# Reaching into the phase layer's base keeps name, env, cwd and caps identical across phase kinds.
from controlroom.phases.models import GiB, PhaseBase

# The python entry points behind the sql kind and data-quality phases; their params are these models.
SQL_ENTRYPOINT = "controlroom.lakehouse.sql_phase:run"
QUALITY_ENTRYPOINT = "controlroom.lakehouse.quality:run"

# Arrow types a CSV column can be forced to (pyarrow's own spelling).
ArrowTypeName = Literal[
    "string", "int32", "int64", "float64", "double", "bool", "date32", "timestamp[s]", "timestamp[ms]", "timestamp[us]"
]
SqlInputFormat = Literal["csv", "parquet", "delta"]
SqlOutputFormat = Literal["delta", "parquet"]
WriteMode = Literal["overwrite", "append", "error"]

DEFAULT_TIMEOUT_SHARE = 0.9
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_PLACEHOLDER = "${"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_uri(value: str) -> str:
    """s3://bucket/key, file:///abs/path or /abs/path; `${...}` placeholders are checked once rendered."""
    if _PLACEHOLDER in value:
        return value
    if value.startswith("s3://"):
        bucket, _, key = value[len("s3://") :].partition("/")
        if not bucket or not key.strip("/"):
            raise ValueError(f"{value!r} needs a bucket and a key: s3://<bucket>/<key>")
        return value
    if value.startswith("file:///") or value.startswith("/"):
        return value
    raise ValueError(f"{value!r} must be s3://<bucket>/<key>, file:///<absolute path> or /<absolute path>")


class CsvOptions(_Model):
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    header: bool = Field(default=True, description="First line holds the column names.")
    null_values: list[str] = Field(
        default_factory=lambda: ["", "NA", "NULL"],
        description="Strings read as NULL, in every column including text ones.",
    )
    column_types: dict[str, ArrowTypeName] = Field(
        default_factory=dict,
        description="Type per column (e.g. {tailnum: string, dep_time: int64}); the others are inferred from "
        "the first block of the file, so force a type where that block may hold only NULLs.",
    )
    block_size_bytes: int = Field(
        default=16 * 1024 * 1024, gt=0, description="Type inference sees the first block; larger is safer, slower."
    )


class SqlInput(_Model):
    name: str = Field(description="The table name the query uses.")
    uri: str = Field(description="s3://bucket/key, or an absolute local path; a Delta table's root folder.")
    format: SqlInputFormat
    version: int | None = Field(default=None, ge=0, description="Delta only: read this table version.")
    csv: CsvOptions | None = Field(default=None, description="CSV only: how to parse it.")

    @field_validator("uri")
    @classmethod
    def _uri_shape(cls, value: str) -> str:
        return check_uri(value)

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(
                f"{value!r} is not a SQL table name: use letters, digits and '_', not starting with a digit"
            )
        return value

    @model_validator(mode="after")
    def _options_match_format(self) -> Self:
        if self.version is not None and self.format != "delta":
            raise ValueError(f"input {self.name!r}: version applies to delta inputs only")
        if self.csv is not None and self.format != "csv":
            raise ValueError(f"input {self.name!r}: csv options apply to csv inputs only")
        return self


class SqlOutput(_Model):
    uri: str = Field(description="Delta: the table's root folder. Parquet: the object or file to write.")
    format: SqlOutputFormat = "delta"
    mode: WriteMode = Field(
        default="overwrite",
        description="overwrite (idempotent, so retries are safe), append (delta only), or error "
        "if something is already there.",
    )
    partition_by: list[str] = Field(default_factory=list, description="Delta only: partition columns.")

    @field_validator("uri")
    @classmethod
    def _uri_shape(cls, value: str) -> str:
        return check_uri(value)

    @model_validator(mode="after")
    def _options_match_format(self) -> Self:
        if self.format == "parquet" and self.mode == "append":
            raise ValueError("a parquet output is one file and cannot be appended to; use format: delta")
        if self.format == "parquet" and self.partition_by:
            raise ValueError("partition_by applies to delta outputs only")
        return self


def unique_inputs(value: list[SqlInput]) -> list[SqlInput]:
    seen: set[str] = set()
    for item in value:
        if item.name.lower() in seen:  # DuckDB's table names are case-insensitive
            raise ValueError(f"input name {item.name!r} is used twice; table names must be unique")
        seen.add(item.name.lower())
    return value


class EngineCaps(_Model):
    """Query-engine caps; a breach stops the query and the phase ends `cap_exceeded`."""

    memory_limit_bytes: int = Field(
        default=1 * GiB,
        ge=16 * 1024 * 1024,
        description="DuckDB memory_limit (its buffer manager: joins, sorts, aggregates).",
    )
    threads: int = Field(default=2, ge=1, le=256, description="DuckDB worker threads.")
    timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Query time, including fetching the result. In a sql phase, unset means "
        f"{DEFAULT_TIMEOUT_SHARE:.0%} of caps.wall_seconds, so the engine stops the query before the executor "
        "kills the process; in bare entry-point params, unset means no query timeout.",
    )
    max_rows: int = Field(
        default=10_000_000, gt=0, description="Result rows; a larger result fails the phase, it is never truncated."
    )
    spill_bytes: int = Field(
        default=0,
        ge=0,
        description="Disk DuckDB may spill to beyond memory_limit; 0: none, so memory_limit is a hard cap.",
    )


class SqlJob(_Model):
    query: str = Field(
        min_length=1,
        description="One SELECT statement over the inputs, by name. `${...}` "
        "placeholders are not substituted here; use query_params.",
    )
    query_params: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Values bound to `$name` parameters in the query (never spliced into the SQL text); "
        "values may be placeholders such as '${params.month}'.",
    )
    inputs: list[SqlInput] = Field(default_factory=list)
    output: SqlOutput
    engine: EngineCaps = Field(default_factory=EngineCaps)

    @field_validator("inputs")
    @classmethod
    def _unique_inputs(cls, value: list[SqlInput]) -> list[SqlInput]:
        return unique_inputs(value)


class SqlPhase(SqlJob, PhaseBase):
    kind: Literal["sql"] = "sql"

    @model_validator(mode="after")
    def _engine_within_executor_caps(self) -> Self:
        if self.engine.memory_limit_bytes >= self.caps.memory_bytes:
            raise ValueError(
                f"engine.memory_limit_bytes ({self.engine.memory_limit_bytes}) must be below caps.memory_bytes "
                f"({self.caps.memory_bytes}), or the executor kills the phase before DuckDB can report; lower it "
                "or raise caps.memory_bytes"
            )
        if self.engine.timeout_seconds is not None and self.engine.timeout_seconds >= self.caps.wall_seconds:
            raise ValueError(
                f"engine.timeout_seconds ({self.engine.timeout_seconds:g}) must be below caps.wall_seconds "
                f"({self.caps.wall_seconds:g}), so the query engine stops the query first; lower it or raise "
                "caps.wall_seconds"
            )
        return self

    def job(self) -> SqlJob:
        """The entry point's params, with the query timeout made concrete."""
        job = SqlJob.model_validate(self.model_dump(include=set(SqlJob.model_fields)))
        if job.engine.timeout_seconds is not None:
            return job
        timeout = round(self.caps.wall_seconds * DEFAULT_TIMEOUT_SHARE, 3)
        return job.model_copy(update={"engine": job.engine.model_copy(update={"timeout_seconds": timeout})})


class Expectation(_Model):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    query: str = Field(
        min_length=1,
        description="One SELECT returning one row with a boolean column `ok`; its "
        "other columns are reported as what was observed.",
    )
    description: str = ""


class QualityJob(_Model):
    """Params of `controlroom.lakehouse.quality:run`: expectations over named inputs; any that does not
    hold fails the phase (and so the run), after all of them have been evaluated."""

    inputs: list[SqlInput] = Field(default_factory=list)
    expectations: list[Expectation] = Field(min_length=1)
    engine: EngineCaps = Field(default_factory=EngineCaps)

    @field_validator("expectations")
    @classmethod
    def _unique_expectations(cls, value: list[Expectation]) -> list[Expectation]:
        names = [item.name for item in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"expectation names must be unique; repeated: {', '.join(duplicates)}")
        return value

    @field_validator("inputs")
    @classmethod
    def _unique_inputs(cls, value: list[SqlInput]) -> list[SqlInput]:
        return unique_inputs(value)
