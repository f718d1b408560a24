"""How a spec declares a spark phase: a logical engine (never an endpoint), exactly one body, URIs inside
the workspace (checked by the gate as written and by the executor once rendered); and how the executor's
configuration maps an engine name to an sc:// URL, per pool or per workspace."""

from __future__ import annotations

import types
import uuid
from typing import Any

import pytest

from controlroom.executor.run import RunExecution
from controlroom.lakehouse.spark_endpoints import SparkEndpointError, SparkEndpoints
from controlroom.lakehouse.spark_models import SPARK_ENTRYPOINT
from controlroom.phases.models import PythonPhase
from controlroom.specs.confine import rendered_findings
from controlroom.specs.params import resolve_params
from controlroom.specs.render import RenderedPhase, RunContext, render_phases
from tests.specs.helpers import BASE, problems, valid, variant

SPARK = (
    BASE
    + """\
  - name: totals
    kind: spark
    engine: {name: big, max_rows: 1000}
    inputs:
      - {name: counts, uri: "s3://${run.bucket}/${run.workspace}/counts", format: delta}
    query: select n * :k as m from counts
    query_params: {k: "${params.limit}"}
    output: {uri: "s3://${run.bucket}/${run.workspace}/totals", format: delta}
"""
)
W2 = "0b7e1d2a-5f4c-4d8e-9a1b-2c3d4e5f6a7b"


def _rendered(text: str, workspace: str = "ws-1") -> list[RenderedPhase]:
    spec = valid(text)
    run = RunContext(
        id=str(uuid.uuid4()),
        attempt=1,
        workspace=workspace,
        bucket="b",
        spec_name=spec.name,
        spec_version=1,
        spec_hash="h",
    )
    return render_phases(spec, resolve_params(spec, {}), run)


def test_a_spark_phase_renders_to_the_spark_entry_point_with_its_lineage() -> None:
    phase = _rendered(SPARK)[-1]
    assert phase.kind == "spark"
    assert isinstance(phase.runtime, PythonPhase)
    assert phase.runtime.entrypoint == SPARK_ENTRYPOINT
    params: dict[str, Any] = dict(phase.runtime.params)
    assert params["engine"]["name"] == "big"
    assert params["engine"]["timeout_seconds"] == 3240.0  # 90% of the default wall cap
    assert params["query_params"] == {"k": 10}  # typed: the integer, not "10"
    assert "endpoint" not in params  # the executor adds it
    assert (phase.inputs, phase.outputs) == (["s3://b/ws-1/counts"], ["s3://b/ws-1/totals"])


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        pytest.param(
            "engine: {name: big, max_rows: 1000}", "endpoint: sc://evil:15002", "never an endpoint", id="endpoint"
        ),
        pytest.param(
            "engine: {name: big, ", "engine: {name: 'sc://evil:15002', ", "is not an engine name", id="url-as-name"
        ),
        pytest.param(
            "engine: {name: big, max_rows: 1000}",
            "session_credentials: true",
            "never an endpoint",
            id="credentials-flag",
        ),
        pytest.param(
            '    query: select n * :k as m from counts\n    query_params: {k: "${params.limit}"}\n',
            "",
            "exactly one of query",
            id="no-body",
        ),
        pytest.param(
            "    query: select n * :k as m from counts\n",
            "    query: select n * :k as m from counts\n    function: jobs:totals\n",
            "exactly one of query",
            id="two-bodies",
        ),
        pytest.param(
            '{name: counts, uri: "s3://${run.bucket}/${run.workspace}/counts", format: delta}',
            '{name: counts, uri: "s3://${run.bucket}/${run.workspace}/counts", format: csv}',
            "'csv' is not allowed",
            id="csv-input",
        ),
    ],
)
def test_a_malformed_spark_phase_is_refused_by_the_gate(old: str, new: str, fragment: str) -> None:
    found = problems(variant(old, new, SPARK))
    assert any(fragment in p for p in found), found


@pytest.mark.parametrize(
    "uri",
    [
        f"s3://${{run.bucket}}/{W2}/lake/t",
        "s3://other/${run.workspace}/t",
        "s3://${run.bucket}/${run.workspace}/../w2/t",
    ],
)
def test_a_spark_phase_writing_outside_its_workspace_is_refused_by_the_gate(uri: str) -> None:
    found = problems(
        variant('output: {uri: "s3://${run.bucket}/${run.workspace}/totals"', f'output: {{uri: "{uri}"', SPARK)
    )
    assert len(found) == 1, found
    assert found[0].startswith("specs/x.yaml: phases[3].output.uri: ")


def test_the_executor_finds_a_parameter_that_carries_a_spark_input_outside_the_workspace() -> None:
    text = variant(
        '{name: counts, uri: "s3://${run.bucket}/${run.workspace}/counts"',
        '{name: counts, uri: "s3://${run.bucket}/${run.workspace}/${params.day}"',
        SPARK,
    ).replace('day: {type: string, default: "2013-01-01"}', 'day: {type: string, default: "../w2/secret"}')
    phases = _rendered(text)
    findings = rendered_findings(phases, bucket="b", workspace_id="ws-1")
    assert [".".join(map(str, f.loc)) for f in findings] == ["phases.3.inputs.0.uri", "phases.3.params.inputs.0.uri"]


def test_engine_names_map_to_endpoints_and_a_workspace_entry_wins() -> None:
    endpoints = SparkEndpoints.parse(
        f"default=sc://10.0.0.1:15002, big=sc://big:15002, {W2}/big=sc://ws2-big:15002/;use_ssl=true"
    )
    assert endpoints.resolve("any", "default") == "sc://10.0.0.1:15002"
    assert endpoints.resolve("any", "big") == "sc://big:15002"
    assert endpoints.resolve(W2, "big") == "sc://ws2-big:15002/;use_ssl=true"
    with pytest.raises(SparkEndpointError, match=r"no Spark engine 'huge' is configured .*known here: big, default"):
        endpoints.resolve("any", "huge")


@pytest.mark.parametrize("text", ["default", "default=http://x:1", "Bad Name=sc://x:1", "default=sc://x:1 ; rm -rf"])
def test_a_malformed_endpoint_configuration_is_refused(text: str) -> None:
    with pytest.raises(SparkEndpointError):
        SparkEndpoints.parse(text)


def test_the_executor_binds_the_engine_from_its_configuration_not_from_the_spec() -> None:
    phase = _rendered(SPARK, workspace=W2)[-1]
    execution = RunExecution.__new__(RunExecution)
    execution.run = types.SimpleNamespace(workspace_id=W2)  # type: ignore[assignment]
    execution.spark = SparkEndpoints.parse(f"big=sc://shared:15002,{W2}/big=sc://own:15002", session_credentials=True)
    bound = execution._bind_spark_engine(phase)
    assert isinstance(bound.runtime, PythonPhase)
    params = bound.runtime.params
    assert (params["endpoint"], params["session_credentials"]) == ("sc://own:15002", True)
    execution.spark = SparkEndpoints.parse("default=sc://shared:15002")
    with pytest.raises(SparkEndpointError, match="no Spark engine 'big'"):
        execution._bind_spark_engine(phase)
