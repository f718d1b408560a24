"""Helpers for the spec tests: specs as text, validated in memory under a realistic file name."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.specs.load import load_text
from controlroom.specs.models import PipelineSpec
from controlroom.specs.problems import SpecError

REPO = Path(__file__).resolve().parents[3]
SPECS_DIR = REPO / "specs"

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
