"""The GitOps gate behind `controlroom spec validate [PATHS]`: problems, never exceptions."""

from __future__ import annotations

from pathlib import Path

from controlroom.specs.load import validate_paths

from .helpers import BASE, SPECS_DIR, variant


def test_every_spec_in_specs_validates() -> None:
    problems = validate_paths([SPECS_DIR])
    assert problems == [], "\n".join(str(p) for p in problems)


def test_the_gate_reports_every_bad_file_and_passes_good_ones(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(BASE)
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "bad.yml").write_text(variant("version: 1", "version: 0"))
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "notes.txt").write_text("not a spec, not looked at")
    problems = [str(p).replace(str(tmp_path), "<dir>") for p in validate_paths([tmp_path])]
    assert problems == [
        "<dir>/binary.yaml: is not UTF-8 text; save it as UTF-8",
        "<dir>/broken.yaml: invalid YAML: while parsing a flow sequence: expected ',' or ']', but got '<stream end>'; "
        "fix the YAML syntax (line 2, column 1)",
        "<dir>/nested/bad.yml: version: must be >= 1 (line 2)",
    ]


def test_two_files_cannot_publish_the_same_version_with_different_bodies(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text(variant("count(*) as n", "count(*) as total"))
    (tmp_path / "c.yaml").write_text(BASE.replace("name: demo", "name: demo  # same body, another file"))
    problems = [str(p).replace(str(tmp_path), "<dir>") for p in validate_paths([tmp_path])]
    assert problems == [
        "<dir>/b.yaml: version: demo version 1 is also defined by <dir>/a.yaml with a different body; bump the "
        "version of one of them",
    ]


def test_missing_paths_and_empty_folders_are_problems_not_passes(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    problems = [
        str(p).replace(str(tmp_path), "<dir>") for p in validate_paths([tmp_path / "empty", tmp_path / "nope.yaml"])
    ]
    assert problems == [
        "<dir>/empty: holds no *.yaml or *.yml spec files",
        "<dir>/nope.yaml: does not exist",
    ]


def test_a_single_file_can_be_named(tmp_path: Path) -> None:
    target = tmp_path / "one.yaml"
    target.write_text(BASE)
    assert validate_paths([target]) == []
