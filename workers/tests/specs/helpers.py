"""Helpers for the spec tests: specs as text, validated in memory under a realistic file name."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.specs.load import load_text
from controlroom.specs.models import PipelineSpec
from controlroom.specs.problems import SpecError

REPO = Path(__file__).resolve().parents[3]
SPECS_DIR = REPO / "specs"
# The pipeline specs under specs/ (specs/routing/ holds routing documents: workers/tests/specs/test_routing_files.py).
PIPELINE_SPEC_FILES = sorted(p for p in SPECS_DIR.rglob("*.yaml") if "routing" not in p.relative_to(SPECS_DIR).parts)

# A small valid spec; tests derive broken variants from it by replacing exact snippets.
BASE = """\
name: demo
version: 1
workspace: analytics
params:
  type: object
  properties:
    day: {type: string, default: "2013-01-01"}
    limit: {type: integer, minimum: 1, default: 10}
  additionalProperties: false
phases:
  - name: extract
    kind: shell
    argv: [echo, "${params.day}"]
  - name: transform
    kind: python
    entrypoint: mypkg.jobs:transform
    params: {limit: "${params.limit}", run: "${run.id}"}
    caps: {memory_bytes: 1000000}
  - name: publish
    kind: sql
    inputs:
      - {name: events, uri: "s3://${run.bucket}/${run.workspace}/events", format: delta}
    query: select count(*) as n from events where day = $day
    query_params: {day: "${params.day}"}
    output: {uri: "s3://${run.bucket}/${run.workspace}/counts", format: delta}
"""


def variant(old: str, new: str, base: str = BASE) -> str:
    assert old in base, f"{old!r} is not in the base spec"
    return base.replace(old, new, 1)


def problems(text: str, file: str = "specs/x.yaml") -> list[str]:
    """Every problem as the user sees it; fails the test if the spec is valid."""
    with pytest.raises(SpecError) as caught:
        load_text(text, file)
    return [str(p) for p in caught.value.problems]


def valid(text: str) -> PipelineSpec:
    return load_text(text, "specs/x.yaml")


def alias_bomb(size: int, levels: int, width: int = 10) -> str:
    """A valid spec whose python phase params hold a "billion laughs": each of `levels` anchors lists
    `width` aliases of the one before, so `size` bytes stand for width**levels values. Padded with a
    comment to exactly `size` bytes."""
    names = "abcdefghijklmnop"
    lines = [f"      a: &a [{', '.join(['lol'] * width)}]"]
    lines += [f"      {names[i]}: &{names[i]} [{', '.join(['*' + names[i - 1]] * width)}]" for i in range(1, levels)]
    text = (
        "name: bomb\nversion: 1\nworkspace: bombs\nphases:\n  - name: boom\n    kind: python\n"
        "    entrypoint: mypkg.jobs:boom\n    params:\n" + "\n".join(lines) + "\n"
    )
    padding = size - len(text) - 2
    assert padding >= 0, f"the bomb needs {len(text)} bytes"
    return text + "#" + "~" * padding + "\n"


# The bombs of issue 12: 670 bytes for 9**9 (387 million) values, which took the old loader past 1.5 GB
# into a MemoryError; 600 bytes for 10**6 values, which the old gate passed (and publish would have
# sent as a 5 MB body).
BOMB_670 = alias_bomb(670, levels=9, width=9)
BOMB_600 = alias_bomb(600, levels=6, width=10)
