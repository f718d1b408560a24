"""submit_run checks params in SQL (private.params_problems) with the CLI's messages: the same
cases through both give the same text, and the same defaults filled in."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from pydantic import JsonValue

from controlroom.specs.models import PipelineSpec
from controlroom.specs.params import resolve_params
from controlroom.specs.problems import SpecError

SCHEMA: dict[str, JsonValue] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["day"],
    "properties": {
        "day": {"type": "string"},
        "n": {"type": "integer", "default": 3},
        "ratio": {"type": "number"},
        "flag": {"type": "boolean", "default": False},
        "mode": {"enum": ["full", "delta"], "default": "delta"},
        "maybe": {"type": ["string", "null"]},
        "opts": {"type": "object"},
    },
}

CASES: list[dict[str, Any]] = [
    {"day": "2026-11-30"},
    {},
    {"day": 5},
    {"day": "d", "n": "x"},
    {"day": "d", "n": 1.5},
    {"day": "d", "n": 2.0},
    {"day": "d", "ratio": "1"},
    {"day": "d", "flag": "yes"},
    {"day": "d", "mode": "all"},
    {"day": "d", "maybe": 3},
    {"day": "d", "opts": [1, 2]},
    {"day": "d", "extra": True},
    {"n": "x", "mode": "all", "extra": None},
    {"day": "it's", "n": {"a": [1, "b"]}},
]


def _spec() -> PipelineSpec:
    return PipelineSpec.model_validate(
        {
            "name": "etl",
            "version": 1,
            "workspace": "ws",
            "params": SCHEMA,
            "phases": [{"name": "a", "kind": "shell", "argv": ["true"]}],
        }
    )


def _cli(params: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    try:
        return None, resolve_params(_spec(), params)
    except SpecError as exc:
        return str(exc), None


@pytest.mark.parametrize("params", CASES, ids=[json.dumps(c) for c in CASES])
def test_sql_and_cli_agree(db: psycopg.Connection[Any], params: dict[str, Any]) -> None:
    row = db.execute(
        "select private.params_problems(%s::jsonb, d, 'params of etl v1') as problems, d as resolved "
        "from private.params_with_defaults(%s::jsonb, %s::jsonb) as d",
        [json.dumps(SCHEMA), json.dumps(SCHEMA), json.dumps(params)],
    ).fetchone()
    assert row is not None
    problems, resolved = row
    cli_problems, cli_resolved = _cli(params)
    assert problems == cli_problems
    if cli_resolved is not None:
        assert resolved == cli_resolved
