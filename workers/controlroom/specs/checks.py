"""Checks that need the whole validated spec: placeholders that name real parameters, and phases that
read a dataset only after the phase that writes it."""

from __future__ import annotations

import difflib

from pydantic import BaseModel, ValidationError

from controlroom.lakehouse.models import QUALITY_ENTRYPOINT, SQL_ENTRYPOINT, QualityJob, SqlJob, SqlPhase
from controlroom.lakehouse.spark_models import SPARK_ENTRYPOINT, SparkPhase, SparkRun
from controlroom.specs.confine import URI_OUTSIDE_WORKSPACE, spec_findings
from controlroom.specs.diagnostics import problems_from_validation
from controlroom.specs.models import PipelineSpec, PythonPhaseSpec
from controlroom.specs.params import resolve_params
from controlroom.specs.placeholders import (
    RUN_KEYS,
    UNSUBSTITUTED_FIELDS,
    parse_reference,
    references,
    walk_strings,
)
from controlroom.specs.problems import Loc, Problem, SpecError, format_loc

# Python entry points whose params have a model: checked here, so a typo fails the gate, not the run.
TYPED_ENTRYPOINTS: dict[str, type[BaseModel]] = {
    SQL_ENTRYPOINT: SqlJob,
    QUALITY_ENTRYPOINT: QualityJob,
    SPARK_ENTRYPOINT: SparkRun,
}


def check_spec(spec: PipelineSpec, file: str, lines: dict[Loc, int]) -> list[Problem]:
    return [
        *_typed_params(spec, file, lines),
        *_placeholders(spec, file, lines),
        *_confinement(spec, file, lines),
        *_data_flow(spec, file, lines),
        *_schedule_params(spec, file, lines),
    ]


def _schedule_params(spec: PipelineSpec, file: str, lines: dict[Loc, int]) -> list[Problem]:
    """A schedule's params must pass the submit's check, or every tick would be refused."""
    problems = []
    for index, schedule in enumerate(spec.schedules or []):
        try:
            resolve_params(spec, schedule.params)
        except SpecError as exc:
            loc: Loc = ("schedules", index, "params")
            problems += [
                Problem(file, format_loc(loc) + (f".{p.path}" if p.path else ""), p.message, line=lines.get(loc))
                for p in exc.problems
            ]
    return problems


def _confinement(spec: PipelineSpec, file: str, lines: dict[Loc, int]) -> list[Problem]:
    phases = [phase.model_dump(mode="json") for phase in spec.phases]
    return [
        Problem(file, format_loc(f.loc), f.message, line=lines.get(f.loc), code=URI_OUTSIDE_WORKSPACE)
        for f in spec_findings(phases)
    ]


def _typed_params(spec: PipelineSpec, file: str, lines: dict[Loc, int]) -> list[Problem]:
    problems = []
    for index, phase in enumerate(spec.phases):
        model = TYPED_ENTRYPOINTS.get(phase.entrypoint) if isinstance(phase, PythonPhaseSpec) else None
        if model is None or not isinstance(phase, PythonPhaseSpec):
            continue
        try:
            model.model_validate(phase.params)
        except ValidationError as exc:
            problems += problems_from_validation(
                exc, phase.params, file, lines, root=model, prefix=("phases", index, "params")
            )
    return problems


def _placeholders(spec: PipelineSpec, file: str, lines: dict[Loc, int]) -> list[Problem]:
    problems = []
    known = {"params": sorted(spec.param_names), "run": list(RUN_KEYS)}
    for index, phase in enumerate(spec.phases):
        body = phase.model_dump(mode="json")
        for loc, text in walk_strings(body, ("phases", index)):
            for inner in references(text):
                in_query = len(loc) > 2 and loc[2] in UNSUBSTITUTED_FIELDS
                message = _check_reference(inner, known, in_query=in_query)
                if message:
                    problems.append(Problem(file, format_loc(loc), message, line=lines.get(loc)))
    return problems


def _check_reference(inner: str, known: dict[str, list[str]], *, in_query: bool) -> str | None:
    if in_query:
        return (
            f"'${{{inner}}}' is not substituted in a query (values are never spliced into SQL): bind it "
            f"with query_params, e.g. query_params: {{x: '${{{inner}}}'}} and write $x in the query"
        )
    parsed = parse_reference(inner)
    if parsed is None:
        return (
            f"'${{{inner}}}' is not a placeholder; write ${{params.NAME}} or ${{run.KEY}} (or $${{ for a literal ${{)"
        )
    scope, name = parsed
    if name in known[scope]:
        return None
    close = difflib.get_close_matches(name, known[scope], n=1, cutoff=0.6)
    if close:
        word = "parameter" if scope == "params" else "run key"
        return f"unknown {word} '{name}' in '${{{inner}}}'; did you mean '{close[0]}'?"
    if scope == "params":
        return f"unknown parameter '{name}' in '${{{inner}}}'; declare it under params.properties"
    return f"unknown run key '{name}' in '${{{inner}}}'; run keys are {', '.join(RUN_KEYS)}"


def _data_flow(spec: PipelineSpec, file: str, lines: dict[Loc, int]) -> list[Problem]:
    writers: dict[str, int] = {}
    for index, phase in enumerate(spec.phases):
        for uri in _outputs(phase):
            writers.setdefault(uri, index)
    problems = []
    for index, phase in enumerate(spec.phases):
        for position, uri in enumerate(_inputs(phase)):
            writer = writers.get(uri)
            if writer is not None and writer > index:
                loc: Loc = ("phases", index, "inputs", position, "uri")
                problems.append(
                    Problem(
                        file,
                        format_loc(loc),
                        f"reads {uri}, which phases[{writer}] ({spec.phases[writer].name}) writes later; move "
                        f"{phase.name!r} after it",
                        line=lines.get(loc),
                    )
                )
    return problems


def _inputs(phase: object) -> list[str]:
    return [item.uri for item in getattr(phase, "inputs", [])]


def _outputs(phase: object) -> list[str]:
    if isinstance(phase, SqlPhase | SparkPhase):
        return [phase.output.uri]
    return [item.uri for item in getattr(phase, "outputs", [])]
