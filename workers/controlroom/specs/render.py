"""From a spec, a run's parameters and its identity to the concrete phases an executor runs:
placeholders substituted, sql phases turned into python phases of the sql entry point."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import JsonValue, ValidationError

from controlroom.lakehouse.convert import (
    LAKEHOUSE_ENTRYPOINTS,
    engine_process_caps,
    spark_to_python_phase,
    to_python_phase,
)
from controlroom.lakehouse.models import SqlPhase
from controlroom.lakehouse.spark_models import SparkPhase
from controlroom.phases.models import PythonPhase, ShellPhase
from controlroom.specs.canonical import spec_hash
from controlroom.specs.diagnostics import message_for
from controlroom.specs.models import PipelineSpec, PythonPhaseSpec, ShellPhaseSpec
from controlroom.specs.placeholders import TYPED_FIELDS, UNSUBSTITUTED_FIELDS, substitute
from controlroom.specs.problems import Problem, SpecError, format_loc


@dataclass(frozen=True)
class RunContext:
    """What `${run.KEY}` can name."""

    id: str
    attempt: int
    workspace: str
    bucket: str
    spec_name: str
    spec_version: int
    spec_hash: str

    @classmethod
    def for_spec(cls, spec: PipelineSpec, *, run_id: str, attempt: int, bucket: str) -> RunContext:
        return cls(
            id=run_id,
            attempt=attempt,
            workspace=spec.workspace,
            bucket=bucket,
            spec_name=spec.name,
            spec_version=spec.version,
            spec_hash=spec_hash(spec),
        )

    def variables(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "attempt": self.attempt,
            "workspace": self.workspace,
            "bucket": self.bucket,
            "spec_name": self.spec_name,
            "spec_version": self.spec_version,
            "spec_hash": self.spec_hash,
        }


@dataclass(frozen=True)
class RenderedPhase:
    kind: Literal["python", "shell", "sql", "spark"]  # as declared; sql and spark run as `runtime`, a python phase
    runtime: PythonPhase | ShellPhase
    inputs: list[str]  # URIs read, for lineage
    outputs: list[str]  # URIs written


def render_phases(spec: PipelineSpec, params: Mapping[str, JsonValue], run: RunContext) -> list[RenderedPhase]:
    """`params` must already be resolved (controlroom.specs.params.resolve_params)."""
    scopes: dict[str, Mapping[str, JsonValue]] = {"params": params, "run": run.variables()}

    def lookup(scope: str, name: str) -> JsonValue:
        return scopes[scope][name]

    rendered = []
    for index, phase in enumerate(spec.phases):
        try:
            body = substitute(phase.model_dump(mode="json"), lookup, UNSUBSTITUTED_FIELDS, TYPED_FIELDS)
            rendered.append(_concrete(phase, body))
        except KeyError as exc:
            raise SpecError(
                [Problem(f"run of {spec.name} v{spec.version}", f"phases[{index}]", f"no value for placeholder {exc}")]
            ) from None
        except ValidationError as exc:
            raise SpecError(
                [
                    Problem(
                        f"run of {spec.name} v{spec.version}",
                        format_loc(("phases", index, *_plain(error["loc"]))),
                        f"invalid after substituting parameters: {message_for(error)}",
                    )
                    for error in exc.errors(include_url=False)
                ]
            ) from None
    return rendered


def _plain(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    return tuple(part for part in loc if not (isinstance(part, str) and part.startswith("function-")))


def _concrete(declared: object, body: JsonValue) -> RenderedPhase:
    if isinstance(declared, SqlPhase):
        sql = SqlPhase.model_validate(body)
        return RenderedPhase("sql", to_python_phase(sql), [i.uri for i in sql.inputs], [sql.output.uri])
    if isinstance(declared, SparkPhase):
        spark = SparkPhase.model_validate(body)
        return RenderedPhase("spark", spark_to_python_phase(spark), [i.uri for i in spark.inputs], [spark.output.uri])
    if isinstance(declared, PythonPhaseSpec):
        python = PythonPhaseSpec.model_validate(body)
        runtime = python.runtime()
        if runtime.entrypoint in LAKEHOUSE_ENTRYPOINTS:
            runtime = runtime.model_copy(update={"caps": engine_process_caps(runtime.caps)})
        return RenderedPhase("python", runtime, [i.uri for i in python.inputs], [o.uri for o in python.outputs])
    shell = ShellPhaseSpec.model_validate(body)
    return RenderedPhase("shell", shell.runtime(), [i.uri for i in shell.inputs], [o.uri for o in shell.outputs])
