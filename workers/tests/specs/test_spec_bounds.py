"""Spec loading is bounded: a YAML alias bomb, an endless alias, deep nesting, too many values or too
many bytes are refused before they can take the memory they ask for, with the file, the line and the
fix. The bombs run in a child process with a memory limit, so a regression fails the test instead of
exhausting a shared machine's memory."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from controlroom.specs.load import load_spec, load_text, validate_paths
from controlroom.specs.problems import SpecLimitExceeded
from controlroom.specs.yamlio import MAX_ALIAS_EXPANSIONS, MAX_DEPTH, MAX_NODES, MAX_SPEC_BYTES

from .helpers import BASE, BOMB_600, BOMB_670, alias_bomb, variant

CHILD_MEMORY_BYTES = 1024**3
CHILD_SECONDS = 60
QUICKLY_SECONDS = 10


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))


def gate_in_a_bounded_process(path: Path) -> tuple[list[str], float]:
    """validate_paths([path]) in a child with 1 GiB of address space: its problems and how long it took."""
    code = (
        "import json, sys\nfrom controlroom.specs.load import validate_paths\n"
        "print(json.dumps([str(p) for p in validate_paths([sys.argv[1]])]))\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=CHILD_SECONDS,
        preexec_fn=_limit_memory,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), elapsed


@pytest.mark.parametrize(("bomb", "size"), [(BOMB_670, 670), (BOMB_600, 600)], ids=["670-bytes", "600-bytes"])
def test_the_gate_refuses_a_yaml_alias_bomb_quickly(tmp_path: Path, bomb: str, size: int) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb, encoding="utf-8")
    assert path.stat().st_size == size
    problems, elapsed = gate_in_a_bounded_process(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: refused before loading: alias *")
    assert f"past {MAX_ALIAS_EXPANSIONS} alias expansions" in problems[0]
    assert elapsed < QUICKLY_SECONDS


def test_an_alias_bomb_is_refused_at_the_alias_that_passes_the_bound() -> None:
    bomb = alias_bomb(400, levels=3, width=10)  # 1,000 values; *b is expanded 10 times, 11 expansions each
    with pytest.raises(SpecLimitExceeded) as caught:
        load_text(bomb, "specs/bomb.yaml")
    assert caught.value.limit == "aliases"
    [problem] = caught.value.problems
    assert str(problem) == (
        "specs/bomb.yaml: refused before loading: alias *b takes the document past 100 alias expansions (aliases "
        "inside what an alias stands for count too: nested anchors multiply, as in a YAML alias bomb); write the "
        "repeated parts out, or use fewer aliases (line 11, column 46)"
    )


def test_the_alias_bound_counts_every_use() -> None:
    def spec_with(uses: int) -> str:
        return variant('argv: [echo, "${params.day}"]', f"argv: [&word echo{', *word' * uses}]")

    assert load_text(spec_with(MAX_ALIAS_EXPANSIONS)).phases[0].argv[-1] == "echo"  # type: ignore[union-attr]
    with pytest.raises(SpecLimitExceeded) as caught:
        load_text(spec_with(MAX_ALIAS_EXPANSIONS + 1))
    assert caught.value.limit == "aliases"


def test_an_alias_inside_its_own_anchor_is_refused_not_a_recursion_error() -> None:
    endless = variant("params: {limit: ", "params: &p {self: *p, limit: ")
    with pytest.raises(SpecLimitExceeded) as caught:
        load_text(endless, "specs/x.yaml")
    assert caught.value.limit == "aliases"
    assert "alias *p is used inside its own anchor &p, which makes an endless structure" in str(caught.value)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    deep = variant("params: {limit: ", "params: {deep: " + "[" * 5000 + "]" * 5000 + ", limit: ")
    with pytest.raises(SpecLimitExceeded) as caught:
        load_text(deep, "specs/x.yaml")
    assert caught.value.limit == "depth"
    assert f"nests deeper than {MAX_DEPTH} levels" in str(caught.value)


def test_nesting_that_aliases_stack_up_counts_too() -> None:
    levels = MAX_DEPTH // 2
    nested = "[" * levels + "x" + "]" * levels
    stacked = variant("params: {limit: ", f"params: {{a: &a {nested}, b: {'[' * levels}*a{']' * levels}, limit: ")
    with pytest.raises(SpecLimitExceeded) as caught:
        load_text(stacked, "specs/x.yaml")
    assert caught.value.limit == "depth"


def test_too_many_values_are_refused_even_with_few_aliases() -> None:
    width = MAX_NODES // 50 + 1  # 50 aliases of it pass the bound on values, not the one on aliases
    aliases = ", ".join(["*big"] * 50)
    wide = variant(
        "params: {limit: ", f"params: {{big: &big [{', '.join(['1'] * width)}], copies: [{aliases}], limit: "
    )
    with pytest.raises(SpecLimitExceeded) as caught:
        load_text(wide, "specs/x.yaml")
    assert caught.value.limit == "nodes"
    assert f"more than {MAX_NODES} values" in str(caught.value)


def test_a_file_over_the_byte_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(BASE.replace("name: demo", "name: demo\ndescription: " + "x" * MAX_SPEC_BYTES), encoding="utf-8")
    with pytest.raises(SpecLimitExceeded) as caught:
        load_spec(path)
    assert caught.value.limit == "bytes"
    assert str(caught.value) == (
        f"{path}: is {path.stat().st_size} bytes; a spec file may be at most {MAX_SPEC_BYTES} bytes (1 MiB): a spec "
        "describes a pipeline, not its data; move large content (queries, data) to files the phases read"
    )
    with pytest.raises(SpecLimitExceeded):
        load_text(path.read_text(encoding="utf-8"))
    assert [p.message for p in validate_paths([path])] == [caught.value.problems[0].message]


def test_a_spec_with_a_few_anchors_still_loads() -> None:
    text = variant(
        'phases:\n  - name: extract\n    kind: shell\n    argv: [echo, "${params.day}"]',
        'phases:\n  - name: extract\n    kind: shell\n    argv: [echo, "${params.day}"]\n'
        "    env: &env {TZ: UTC, LANG: C.UTF-8}\n    caps: &small {wall_seconds: 60, memory_bytes: 100000000}\n"
        "  - name: again\n    kind: shell\n    argv: [echo, again]\n    env: *env\n"
        "    caps: {<<: *small, wall_seconds: 30}",
    )
    spec = load_text(text, "specs/x.yaml")
    first, again = spec.phases[0], spec.phases[1]
    assert again.env == first.env == {"TZ": "UTC", "LANG": "C.UTF-8"}
    assert (again.caps.wall_seconds, again.caps.memory_bytes) == (30, 100_000_000)
    assert (first.caps.wall_seconds, first.caps.memory_bytes) == (60, 100_000_000)
