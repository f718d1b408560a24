"""`controlroom spec validate | publish | diff`."""

from __future__ import annotations

import json
import time

from controlroom.client.control_plane import ControlPlane
from controlroom.settings import project_root
from tests.cli.conftest import SpecFiles, invoke, no_traceback, run_cli
from tests.specs.helpers import BOMB_600, BOMB_670


def test_validate_passes_the_repository_specs_and_a_good_file(specs: SpecFiles) -> None:
    good = specs.write()
    result = invoke("spec", "validate", str(project_root() / "specs"), str(good))
    assert result.exit_code == 0, result.output
    assert "spec file(s) OK" in result.stderr


def test_validate_names_file_path_and_fix_and_exits_1_without_traceback(specs: SpecFiles) -> None:
    good = specs.write()
    bad = specs.folder / "bad.yaml"
    bad.write_text(
        "name: broken\nversion: 1\nworkspace: x1\nretires: {max_attempts: 2}\n"
        "phases:\n  - name: a\n    kind: shel\n    argv: [echo]\n",
        encoding="utf-8",
    )
    done = run_cli("spec", "validate", str(specs.folder))
    assert done.code == 1
    assert no_traceback(done.stdout, done.stderr)
    assert f"{bad}: unknown field 'retires'; did you mean 'retries'? (line 4)" in done.stdout
    assert f"{bad}: phases[0].kind: unknown phase kind 'shel'; did you mean 'shell'?" in done.stdout
    assert str(good) not in done.stdout
    assert "problem(s) in 1 of 2 spec file(s)" in done.stderr
    as_json = run_cli("spec", "validate", str(bad), "--json")
    assert as_json.code == 1
    assert {p["path"] for p in as_json.json()["problems"]} >= {"phases[0].kind"}


def test_validate_of_a_missing_path_is_a_problem_not_a_crash(specs: SpecFiles) -> None:
    done = run_cli("spec", "validate", str(specs.folder / "nope"))
    assert done.code == 1
    assert "does not exist" in done.stdout
    assert no_traceback(done.stdout, done.stderr)


def test_validate_refuses_yaml_alias_bombs_quickly_without_a_traceback(specs: SpecFiles) -> None:
    big, small = specs.folder / "bomb-670.yaml", specs.folder / "bomb-600.yaml"
    big.write_text(BOMB_670, encoding="utf-8")
    small.write_text(BOMB_600, encoding="utf-8")
    for bomb in (big, small):
        started = time.monotonic()
        # 1 GiB of address space: without the bound the program dies of MemoryError instead of the machine
        done = run_cli("spec", "validate", str(bomb), timeout=60, memory_bytes=1024**3)
        assert done.code == 1, done.stderr
        assert no_traceback(done.stdout, done.stderr)
        assert done.stdout.startswith(f"{bomb}: refused before loading: alias *"), done.stdout
        assert "past 100 alias expansions" in done.stdout
        assert "problem(s) in 1 of 1 spec file(s)" in done.stderr
        assert time.monotonic() - started < 10
    # publish runs the same gate first: nothing is sent.
    refused = run_cli("spec", "publish", str(small), "--create-workspace", timeout=60, memory_bytes=1024**3)
    assert refused.code == 1
    assert "refused before loading" in refused.stdout


def test_publish_new_then_unchanged_then_refuses_a_changed_body(specs: SpecFiles, plane: ControlPlane) -> None:
    path = specs.write(description="first")
    first = invoke("spec", "publish", str(path), "--create-workspace")
    assert first.exit_code == 0, first.output
    workspace = plane.workspace_by_slug(specs.workspace)
    assert workspace is not None
    [published] = plane.published_specs(workspace.id, "cli-test", "1")
    assert f"published cli-test@1 {published.spec_hash[:12]}" in first.stdout

    again = invoke("spec", "publish", str(path))
    assert again.exit_code == 0, again.output
    assert "unchanged cli-test@1" in again.stdout

    path.write_text(path.read_text(encoding="utf-8").replace("first", "second"), encoding="utf-8")
    changed = run_cli("spec", "publish", str(path))
    assert changed.code == 1
    assert "cli-test@1 is already published with different content; bump `version`" in changed.stderr
    assert no_traceback(changed.stdout, changed.stderr)
    assert [s.spec_hash for s in plane.published_specs(workspace.id, "cli-test", "1")] == [published.spec_hash]

    bumped = specs.write(version=2, description="second")
    as_json = invoke("spec", "publish", str(bumped), "--json")
    assert as_json.exit_code == 0, as_json.output
    [row] = json.loads(as_json.stdout)
    assert (row["outcome"], row["version"], row["workspace"]) == ("published", "2", specs.workspace)


def test_publish_into_a_missing_workspace_suggests_create_workspace(specs: SpecFiles, plane: ControlPlane) -> None:
    path = specs.write()
    done = run_cli("spec", "publish", str(path))
    assert done.code == 1
    assert f"workspace {specs.workspace} does not exist" in done.stderr
    assert "--create-workspace" in done.stderr
    assert plane.workspace_by_slug(specs.workspace) is None


def test_publish_refuses_everything_when_one_spec_is_invalid(specs: SpecFiles, plane: ControlPlane) -> None:
    specs.write()
    (specs.folder / "bad.yaml").write_text("name: x\n", encoding="utf-8")
    done = run_cli("spec", "publish", str(specs.folder), "--create-workspace")
    assert done.code == 1
    assert "bad.yaml" in done.stdout
    assert plane.workspace_by_slug(specs.workspace) is None


def test_diff_is_0_when_identical_and_1_with_the_changed_key_when_not(specs: SpecFiles) -> None:
    path = specs.write(description="as published")
    unpublished = invoke("spec", "diff", str(path))
    assert unpublished.exit_code == 1
    assert "not published yet" in unpublished.stdout

    assert invoke("spec", "publish", str(path), "--create-workspace").exit_code == 0
    same = invoke("spec", "diff", str(path))
    assert same.exit_code == 0, same.output
    assert "identical" in same.stdout

    path.write_text(path.read_text(encoding="utf-8").replace("as published", "edited"), encoding="utf-8")
    different = run_cli("spec", "diff", str(path))
    assert different.code == 1
    assert '-  "description": "as published",' in different.stdout
    assert '+  "description": "edited",' in different.stdout
    as_json = run_cli("spec", "diff", str(path), "--json")
    assert as_json.code == 1
    assert as_json.json()["identical"] is False
