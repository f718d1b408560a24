"""What `controlroom spec validate` catches before any run (issue 16): one SQL statement over declared
inputs, and entry points that import (in a subprocess, never called)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from controlroom.cli import app
from controlroom.specs.load import validate_paths

HEAD = """\
name: checks
version: 1
workspace: analytics
phases:
"""
SQL = """\
  - name: {name}
    kind: sql
    inputs: [{{name: t, uri: "s3://${{run.bucket}}/${{run.workspace}}/t", format: delta}}]
    query: {query}
    output: {{uri: "s3://${{run.bucket}}/${{run.workspace}}/{name}", format: parquet}}
"""
PY = """\
  - name: {name}
    kind: python
    entrypoint: {entrypoint}
"""


def _problems(tmp_path: Path, body: str, *, imports: bool = True) -> list[str]:
    (tmp_path / "spec.yaml").write_text(HEAD + body)
    return [f"{p.path}: {p.message}" for p in validate_paths([tmp_path], imports=imports)]


def test_a_sql_phase_with_two_statements_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, SQL.format(name="a", query="'select * from t; drop table t'"))
    assert problems == [
        "phases[0].query: holds 2 statements; a sql phase runs exactly one SELECT (its result is written to "
        "the output), so split the work into phases"
    ]


def test_a_sql_phase_reading_an_undeclared_table_is_refused(tmp_path: Path) -> None:
    query = "'with w as (select * from weather) select * from t join w using (k) where t.x > $late'"
    problems = _problems(tmp_path, SQL.format(name="a", query=query))
    assert problems == [
        "phases[0].query: reads 'weather', not declared under inputs (declared: t); a sql phase sees only its "
        "inputs, by name"
    ]


def test_a_query_over_declared_inputs_and_its_own_ctes_passes(tmp_path: Path) -> None:
    query = "'with w as (select * from T) select * from w where x > $late'"
    assert _problems(tmp_path, SQL.format(name="a", query=query)) == []


def test_entrypoints_that_cannot_be_imported_are_refused_without_being_called(tmp_path: Path) -> None:
    marker = tmp_path / "called"
    pkg = tmp_path / "code"
    pkg.mkdir()
    (pkg / "spec_probe_mod.py").write_text(f"def main(params):\n    open({str(marker)!r}, 'w').close()\n")
    body = (
        PY.format(name="a", entrypoint="no_such_package_9f2.jobs:main")
        + PY.format(name="b", entrypoint="json:no_such_function")
        + PY.format(name="c", entrypoint="spec_probe_mod:main")
        + f"    pythonpath: [{str(pkg)!r}]\n"
        + PY.format(name="d", entrypoint="json:dumps")
    )
    problems = _problems(tmp_path, body)
    assert problems == [
        "phases[0].entrypoint: no_such_package_9f2.jobs:main: cannot be imported: ModuleNotFoundError: No module "
        "named 'no_such_package_9f2'",
        "phases[1].entrypoint: json:no_such_function: module json has no attribute 'no_such_function'",
    ]
    assert not marker.exists(), "the entry point was called"
    assert _problems(tmp_path, body, imports=False) == []


def test_an_import_that_hangs_is_stopped_at_the_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "code"
    pkg.mkdir()
    (pkg / "slow_probe_mod.py").write_text("import time\ntime.sleep(60)\ndef main(params): pass\n")
    monkeypatch.setenv("CONTROLROOM_SPEC_IMPORT_TIMEOUT", "2")
    body = PY.format(name="a", entrypoint="slow_probe_mod:main") + f"    pythonpath: [{str(pkg)!r}]\n"
    assert _problems(tmp_path, body) == [
        "phases[0].entrypoint: importing the entry points took longer than 2 s (CONTROLROOM_SPEC_IMPORT_TIMEOUT); "
        "a module should not do slow work at import time"
    ]


def test_spec_validate_runs_the_checks_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(HEAD + PY.format(name="a", entrypoint="no_such_package_9f2.jobs:main"))
    result = CliRunner().invoke(app, ["spec", "validate", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "cannot be imported: ModuleNotFoundError" in result.output
