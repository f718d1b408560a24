"""The cross-tenant read (a phase of workspace W1 naming W2's folder) and its variants are refused by
the spec gate, with the field and line; after rendering, the executor's check catches what only a
parameter's value reveals."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.specs.confine import URI_OUTSIDE_WORKSPACE, rendered_findings
from controlroom.specs.load import validate_paths
from controlroom.specs.params import resolve_params
from controlroom.specs.render import RunContext, render_phases

from .helpers import BASE, problems, valid, variant

W2 = "0b7e1d2a-5f4c-4d8e-9a1b-2c3d4e5f6a7b"
EVENTS = 'uri: "s3://${run.bucket}/${run.workspace}/events"'


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        pytest.param(f"s3://controlroom-artifacts/{W2}/lake/secret.csv", "is outside the workspace", id="w2-folder"),
        pytest.param(f"s3://${{run.bucket}}/{W2}/lake/secret.csv", "is outside the workspace", id="w2-run-bucket"),
        pytest.param("s3://other-bucket/${run.workspace}/x", "is outside the workspace", id="other-bucket"),
        pytest.param("s3://${run.bucket}/${run.workspace}/../w2/x", "'..' segments", id="dot-dot"),
        pytest.param("s3://${run.bucket}/${run.workspace}/%2e%2e/w2/x", "'%'", id="percent-escape"),
        pytest.param("s3://${run.bucket}/${run.workspace}/", "is outside the workspace", id="bare-prefix"),
        pytest.param("s3://${run.bucket}/${params.day}/x", "is outside the workspace", id="param-as-workspace"),
        pytest.param("/etc/passwd", "is a local path", id="host-path"),
        pytest.param("file:///etc/passwd", "is a local path", id="host-file-uri"),
    ],
)
def test_a_sql_phase_reading_outside_its_workspace_is_refused_by_the_gate(uri: str, fragment: str) -> None:
    found = problems(variant(EVENTS, f'uri: "{uri}"'))
    assert len(found) == 1, found
    assert found[0].startswith("specs/x.yaml: phases[2].inputs[0].uri: ")
    assert fragment in found[0]
    assert found[0].endswith("(line 22)")


def test_outputs_of_python_and_shell_phases_and_lakehouse_params_are_confined_too() -> None:
    text = variant(
        'params: {limit: "${params.limit}", run: "${run.id}"}',
        'params: {limit: "${params.limit}", output: {uri: "s3://elsewhere/x"}}\n'
        '    outputs: [{name: o, uri: "s3://${run.bucket}/w2/o"}]',
    )
    text = variant('argv: [echo, "${params.day}"]', "argv: [echo]\n    inputs: [{name: i, uri: /root/.aws}]", text)
    found = problems(text)
    assert [p.split(": ", 2)[1] for p in found] == [
        "phases[0].inputs[0].uri",
        "phases[1].params.output.uri",
        "phases[1].outputs[0].uri",
    ]


def test_problems_carry_a_stable_code_for_the_executor() -> None:
    from controlroom.specs.load import load_text
    from controlroom.specs.problems import SpecError

    with pytest.raises(SpecError) as caught:
        load_text(variant(EVENTS, f'uri: "s3://x/{W2}/y"'), "specs/x.yaml")
    assert [p.code for p in caught.value.problems] == [URI_OUTSIDE_WORKSPACE]


def test_a_parameter_that_climbs_out_is_caught_after_rendering() -> None:
    text = variant(EVENTS, 'uri: "s3://${run.bucket}/${run.workspace}/${params.day}/events"')
    spec = valid(text)  # the written spec is fine: the value arrives with the run
    run = RunContext.for_spec(spec, run_id="run-1", attempt=1, bucket="bkt")
    run = RunContext(**{**run.__dict__, "workspace": "w1"})
    phases = render_phases(spec, resolve_params(spec, {"day": f"../{W2}"}), run)
    findings = rendered_findings(phases, bucket="bkt", workspace_id="w1")
    assert [(f.loc, f.uri) for f in findings] == [
        (("phases", 2, "inputs", 0, "uri"), f"s3://bkt/w1/../{W2}/events"),
        # the sql entry point's params carry the same URI to the phase process
        (("phases", 2, "params", "inputs", 0, "uri"), f"s3://bkt/w1/../{W2}/events"),
    ]
    assert rendered_findings(render_phases(spec, resolve_params(spec, {}), run), bucket="bkt", workspace_id="w1") == []


def test_the_base_spec_and_the_examples_pass() -> None:
    valid(BASE)


def test_spec_validate_names_the_file_field_and_line_of_a_cross_tenant_read(tmp_path: Path) -> None:
    (tmp_path / "steal.yaml").write_text(variant(EVENTS, f'uri: "s3://controlroom-artifacts/{W2}/lake/t.csv"'))
    found = [str(p).replace(str(tmp_path), "<dir>") for p in validate_paths([tmp_path])]
    assert found == [
        f"<dir>/steal.yaml: phases[2].inputs[0].uri: 's3://controlroom-artifacts/{W2}/lake/t.csv' is outside the "
        "workspace: dataset URIs must start with s3://${run.bucket}/${run.workspace}/ (the run's bucket and "
        "workspace folder), followed by a key (line 22)"
    ]
