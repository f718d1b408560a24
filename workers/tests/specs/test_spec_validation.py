"""Good specs load; each kind of bad spec gets one exact message naming the file, the path inside it
and the fix — never a traceback."""

from __future__ import annotations

import pytest

from controlroom.lakehouse.models import SqlPhase
from controlroom.specs.load import load_spec
from controlroom.specs.models import PythonPhaseSpec, ShellPhaseSpec

from .helpers import BASE, PIPELINE_SPEC_FILES, problems, valid, variant


def test_the_base_spec_is_valid_and_typed_by_kind() -> None:
    spec = valid(BASE)
    assert [type(p) for p in spec.phases] == [ShellPhaseSpec, PythonPhaseSpec, SqlPhase]
    assert spec.pool == "default"
    assert spec.retries.max_attempts == 3
    assert spec.retries.base_seconds == 10
    assert spec.retries.max_backoff_seconds == 3600
    assert spec.retries.jitter_seconds == 0
    assert spec.heartbeat_tolerance_seconds == 900


@pytest.mark.parametrize("path", PIPELINE_SPEC_FILES, ids=lambda p: p.name)
def test_the_committed_specs_load(path: object) -> None:
    spec = load_spec(str(path))
    assert spec.phases


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "caps: {memory_bytes: 1000000}",
            "caps: {memory_bytes: 0}",
            "specs/x.yaml: phases[1].caps.memory_bytes: must be > 0 (line 18)",
            id="bound",
        ),
        pytest.param(
            "version: 1\n",
            "version: 1\nretires: {max_attempts: 2}\n",
            "specs/x.yaml: unknown field 'retires'; did you mean 'retries'? (line 3)",
            id="unknown-top-level-field",
        ),
        pytest.param(
            "caps: {memory_bytes: 1000000}",
            "caps: {memory_byte: 1000000}",
            "specs/x.yaml: phases[1].caps: unknown field 'memory_byte'; did you mean 'memory_bytes'? (line 18)",
            id="unknown-nested-field",
        ),
        pytest.param(
            "kind: shell",
            "kind: shel",
            "specs/x.yaml: phases[0].kind: unknown phase kind 'shel'; did you mean 'shell'? (line 12)",
            id="unknown-kind",
        ),
        pytest.param(
            "    kind: shell\n",
            "",
            "specs/x.yaml: phases[0]: missing 'kind': say which kind of phase this is (python, shell or sql) (line 11)",
            id="missing-kind",
        ),
        pytest.param(
            "    entrypoint: mypkg.jobs:transform\n",
            "",
            "specs/x.yaml: phases[1]: missing required field 'entrypoint' (line 14)",
            id="missing-field",
        ),
        pytest.param(
            "name: demo",
            "name: Demo_Pipeline",
            "specs/x.yaml: name: must be a slug: 1-63 lowercase letters, digits and '-', starting and ending with a "
            "letter or digit (e.g. 'flights-medallion') (line 1)",
            id="slug",
        ),
        pytest.param(
            "version: 1",
            "version: 0",
            "specs/x.yaml: version: must be >= 1 (line 2)",
            id="version",
        ),
        pytest.param(
            "version: 1",
            "version: one",
            "specs/x.yaml: version: must be an integer, not 'one' (line 2)",
            id="type",
        ),
        pytest.param(
            "workspace: analytics",
            "workspace: analytics\nlabels: {gpu: yes}",
            "specs/x.yaml: labels.gpu: must be a string, not True: quote it (YAML reads yes/no/on/off as booleans "
            "and bare numbers as numbers) (line 4)",
            id="yaml-boolean",
        ),
        pytest.param(
            'argv: [echo, "${params.day}"]',
            "argv: echo hello",
            "specs/x.yaml: phases[0].argv: shell phases take an argv list, not a shell string (no shell parses it, "
            "so quoting and injection cannot go wrong); write e.g. ['tar', '-xf', 'in.tar'], or ['bash', '-c', "
            "'...'] if you really need shell syntax (line 13)",
            id="shell-string",
        ),
        pytest.param(
            "name: publish",
            "name: extract",
            "specs/x.yaml: phases: phase name 'extract' is used by phases[0] and phases[2]; rename one (names key "
            "artifacts and events) (line 10)",
            id="duplicate-phase-name",
        ),
        pytest.param(
            'counts", format: delta}',
            'counts", format: csv}',
            "specs/x.yaml: phases[2].output.format: 'csv' is not allowed; use one of 'delta', 'parquet' (line 25)",
            id="output-format",
        ),
        pytest.param(
            '    argv: [echo, "${params.day}"]',
            '    argv: [echo, "${params.dya}"]',
            "specs/x.yaml: phases[0].argv[1]: unknown parameter 'dya' in '${params.dya}'; did you mean 'day'? "
            "(line 13)",
            id="unknown-parameter",
        ),
        pytest.param(
            'run: "${run.id}"',
            'run: "${run.identifier}"',
            "specs/x.yaml: phases[1].params.run: unknown run key 'identifier' in '${run.identifier}'; run keys are "
            "id, attempt, workspace, bucket, spec_name, spec_version, spec_hash (line 17)",
            id="unknown-run-key",
        ),
        pytest.param(
            "where day = $day",
            "where day = '${params.day}'",
            "specs/x.yaml: phases[2].query: '${params.day}' is not substituted in a query (values are never spliced "
            "into SQL): bind it with query_params, e.g. query_params: {x: '${params.day}'} and write $x in the query "
            "(line 23)",
            id="placeholder-in-sql",
        ),
        pytest.param(
            'day: {type: string, default: "2013-01-01"}',
            "day: {type: string, default: 20130101}",
            "specs/x.yaml: params: the default of parameter 'day' does not match its own schema: 20130101 is not of "
            "type 'string' (line 4)",
            id="bad-param-default",
        ),
        pytest.param(
            "day: {type: string,",
            "day: {type: text,",
            "specs/x.yaml: params: not a valid JSON Schema at properties/day/type: 'text' is not valid under any of "
            "the given schemas (line 4)",
            id="bad-params-schema",
        ),
        pytest.param(
            "caps: {memory_bytes: 1000000}",
            "caps: {memory_bytes: 1000000}\n    inputs: [{name: a, uri: lake/a}]",
            "specs/x.yaml: phases[1].inputs[0].uri: 'lake/a' must be s3://<bucket>/<key>, file:///<absolute path> or "
            "/<absolute path> (line 19)",
            id="relative-uri",
        ),
        pytest.param(
            'output: {uri: "s3://${run.bucket}/${run.workspace}/counts", format: delta}',
            'output: {uri: "s3://${run.bucket}/${run.workspace}/counts", format: delta}\n'
            "    engine: {memory_limit_bytes: 4294967296}",
            "specs/x.yaml: phases[2]: engine.memory_limit_bytes (4294967296) must be below caps.memory_bytes "
            "(2147483648), or the executor kills the phase before DuckDB can report; lower it or raise "
            "caps.memory_bytes (line 19)",
            id="engine-memory-above-executor-memory",
        ),
    ],
)
def test_a_bad_spec_gets_one_exact_message(old: str, new: str, expected: str) -> None:
    assert problems(variant(old, new)) == [expected]


def test_every_problem_is_reported_at_once_in_file_order() -> None:
    text = variant("version: 1", "version: 0")
    text = variant("caps: {memory_bytes: 1000000}", "caps: {memory_bytes: -1, wall_seconds: 0}", text)
    assert problems(text) == [
        "specs/x.yaml: version: must be >= 1 (line 2)",
        "specs/x.yaml: phases[1].caps.wall_seconds: must be > 0 (line 18)",
        "specs/x.yaml: phases[1].caps.memory_bytes: must be > 0 (line 18)",
    ]


def test_a_misspelt_field_is_both_unknown_and_missing() -> None:
    assert problems(variant("    query: select", "    querry: select")) == [
        "specs/x.yaml: phases[2]: missing required field 'query' (line 19)",
        "specs/x.yaml: phases[2]: unknown field 'querry'; did you mean 'query'? (line 23)",
    ]


def test_a_typo_in_the_params_of_a_lakehouse_entrypoint_fails_the_gate() -> None:
    text = variant(
        '    entrypoint: mypkg.jobs:transform\n    params: {limit: "${params.limit}", run: "${run.id}"}\n',
        "    entrypoint: controlroom.lakehouse.quality:run\n"
        "    params: {expectations: [{name: e1, querry: select true as ok}]}\n",
    )
    assert problems(text) == [
        "specs/x.yaml: phases[1].params.expectations[0]: missing required field 'query' (line 17)",
        "specs/x.yaml: phases[1].params.expectations[0]: unknown field 'querry'; did you mean 'query'? (line 17)",
    ]


def test_a_phase_that_reads_what_a_later_phase_writes_is_refused() -> None:
    text = variant(
        "caps: {memory_bytes: 1000000}",
        'caps: {memory_bytes: 1000000}\n    inputs: [{name: c, uri: "s3://${run.bucket}/${run.workspace}/counts"}]',
    )
    assert problems(text) == [
        "specs/x.yaml: phases[1].inputs[0].uri: reads s3://${run.bucket}/${run.workspace}/counts, which phases[2] "
        "(publish) writes later; move 'transform' after it (line 19)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "name: a\nversion: 1\nname: b\n",
            "specs/x.yaml: duplicate key 'name' (first at line 1); YAML would silently keep only the last one: remove "
            "or rename one of them (line 3)",
            id="duplicate-top-level-key",
        ),
        pytest.param(
            variant('    argv: [echo, "${params.day}"]\n', "    argv: [echo, a]\n    argv: [echo, b]\n"),
            "specs/x.yaml: phases[0]: duplicate key 'argv' (first at line 13); YAML would silently keep only the last "
            "one: remove or rename one of them (line 14)",
            id="duplicate-nested-key",
        ),
        pytest.param(
            "name: a\n  version: 1\n",
            "specs/x.yaml: invalid YAML: mapping values are not allowed here; quote values that contain ': ', or fix "
            "the indentation (line 2, column 10)",
            id="syntax",
        ),
        pytest.param(
            "name: a\nphases:\n\t- x\n",
            "specs/x.yaml: invalid YAML: while scanning for the next token: found character '\\t' that cannot start "
            "any token; indent with spaces; YAML does not allow tabs (line 3, column 1)",
            id="tab",
        ),
        pytest.param(
            "name: a\n---\nname: b\n",
            "specs/x.yaml: invalid YAML: expected a single document in the stream: but found another document; keep "
            "one spec per file (remove the extra '---') (line 2, column 1)",
            id="two-documents",
        ),
        pytest.param(
            "", "specs/x.yaml: is empty; a spec is a mapping with name, version, workspace and phases", id="empty"
        ),
        pytest.param(
            "- a\n- b\n", "specs/x.yaml: must be a mapping (name: ..., phases: ...), not a list", id="not-a-mapping"
        ),
        pytest.param(
            "name: a\nversion: 1\nworkspace: w\nphases: []\n",
            "specs/x.yaml: phases: must have at least 1 item (line 4)",
            id="no-phases",
        ),
    ],
)
def test_yaml_level_problems(text: str, expected: str) -> None:
    assert problems(text) == [expected]
