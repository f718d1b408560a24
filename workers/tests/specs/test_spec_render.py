"""Rendering a run's phases: placeholders substituted, sql phases become python phases of the sql entry
point, and the result is what the phase runner takes."""

from __future__ import annotations

import pytest

from controlroom.lakehouse.convert import to_python_phase
from controlroom.lakehouse.models import SQL_ENTRYPOINT, SqlJob, SqlPhase
from controlroom.phases.models import PythonPhase, ShellPhase
from controlroom.specs.canonical import spec_hash
from controlroom.specs.models import PipelineSpec
from controlroom.specs.params import resolve_params
from controlroom.specs.problems import SpecError
from controlroom.specs.render import RenderedPhase, RunContext, render_phases
from controlroom.specs.yamlio import load_yaml

from .helpers import BASE, valid, variant


def _render(text: str = BASE, submitted: dict[str, object] | None = None) -> list[RenderedPhase]:
    spec = valid(text)
    run = RunContext.for_spec(spec, run_id="run-1", attempt=2, bucket="lake-bucket")
    return render_phases(spec, resolve_params(spec, submitted or {}), run)  # type: ignore[arg-type]


def test_placeholders_are_substituted_and_a_whole_string_placeholder_keeps_its_type() -> None:
    shell, python, sql = _render(submitted={"day": "2013-07-04", "limit": 5})
    assert isinstance(shell.runtime, ShellPhase)
    assert shell.runtime.argv == ["echo", "2013-07-04"]
    assert isinstance(python.runtime, PythonPhase)
    assert python.runtime.params == {"limit": 5, "run": "run-1"}
    assert sql.kind == "sql"
    assert sql.inputs == ["s3://lake-bucket/analytics/events"]
    assert sql.outputs == ["s3://lake-bucket/analytics/counts"]


def test_a_sql_phase_renders_to_a_python_phase_of_the_sql_entrypoint() -> None:
    sql = _render()[2].runtime
    assert isinstance(sql, PythonPhase)
    assert sql.entrypoint == SQL_ENTRYPOINT == "controlroom.lakehouse.sql_phase:run"
    job = SqlJob.model_validate(sql.params)
    assert job.query == "select count(*) as n from events where day = $day"
    assert job.query_params == {"day": "2013-01-01"}
    assert job.output.uri == "s3://lake-bucket/analytics/counts"
    # DuckDB and delta-rs reserve far more address space than they use: RLIMIT_AS is off, RSS still capped.
    assert sql.caps.address_space_bytes == 0
    assert sql.caps.memory_bytes == 2 * 1024**3


def test_the_converter_keeps_caps_the_spec_set_and_the_name() -> None:
    phase = SqlPhase.model_validate(
        {
            "name": "q",
            "query": "select 1",
            "output": {"uri": "s3://b/k"},
            "caps": {"memory_bytes": 3 * 1024**3, "address_space_bytes": 8 * 1024**3, "wall_seconds": 1000},
            "env": {"TZ": "UTC"},
        }
    )
    python = to_python_phase(phase)
    assert (python.name, python.env, python.caps) == ("q", {"TZ": "UTC"}, phase.caps)


def test_text_around_placeholders_and_literal_dollar_braces() -> None:
    text = variant(
        'argv: [echo, "${params.day}"]',
        'argv: [echo, "day=${params.day} limit=${params.limit} attempt ${run.attempt} $${HOME}"]',
    )
    assert _render(text)[0].runtime.argv == ["echo", "day=2013-01-01 limit=10 attempt 2 ${HOME}"]  # type: ignore[union-attr]


def test_run_keys_include_the_spec_identity() -> None:
    text = variant(
        'argv: [echo, "${params.day}"]',
        'argv: [echo, "${run.spec_name}", "${run.spec_version}", "${run.spec_hash}", "${run.bucket}"]',
    )
    spec = valid(text)
    assert _render(text)[0].runtime.argv == ["echo", "demo", "1", spec_hash(spec), "lake-bucket"]  # type: ignore[union-attr]


def test_a_substituted_value_that_breaks_a_field_is_reported() -> None:
    # The gate refuses this URI (it is outside the workspace); a body that skipped the gate (inserted
    # past publish_spec) is still checked when rendered.
    text = variant('uri: "s3://${run.bucket}/${run.workspace}/counts"', 'uri: "${params.day}"')
    spec = PipelineSpec.model_validate(load_yaml(text, "specs/x.yaml").data)
    run = RunContext.for_spec(spec, run_id="run-1", attempt=2, bucket="lake-bucket")
    with pytest.raises(SpecError) as caught:
        render_phases(spec, resolve_params(spec, {}), run)
    assert [str(p) for p in caught.value.problems] == [
        "run of demo v1: phases[2].output.uri: invalid after substituting parameters: '2013-01-01' must be "
        "s3://<bucket>/<key>, file:///<absolute path> or /<absolute path>",
    ]
