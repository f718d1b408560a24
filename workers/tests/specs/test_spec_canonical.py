"""Canonical JSON and spec_hash: the same meaning hashes the same, a different body does not."""

from __future__ import annotations

import hashlib
import json

from controlroom.specs.canonical import canonical_body, canonical_json, spec_hash

from .helpers import BASE, valid, variant

REORDERED = """\
phases:
  - kind: shell
    argv: [echo, "${params.day}"]
    name: extract
  - caps: {memory_bytes: 1000000}
    params: {run: "${run.id}", limit: "${params.limit}"}
    name: transform
    entrypoint: mypkg.jobs:transform
    kind: python
  - output: {format: delta, uri: "s3://${run.bucket}/${run.workspace}/counts"}
    query_params: {day: "${params.day}"}
    query: select count(*) as n from events where day = $day
    inputs:
      - {format: delta, uri: "s3://${run.bucket}/${run.workspace}/events", name: events}
    kind: sql
    name: publish
params:
  additionalProperties: false
  properties:
    limit: {default: 10, minimum: 1, type: integer}
    day:
      default: "2013-01-01"
      type: string
  type: object
workspace: analytics
version: 1
name: demo
"""


def test_key_order_and_yaml_style_do_not_change_the_hash() -> None:
    assert canonical_json(valid(REORDERED)) == canonical_json(valid(BASE))
    assert spec_hash(valid(REORDERED)) == spec_hash(valid(BASE))


def test_spelling_out_a_default_does_not_change_the_hash() -> None:
    explicit = variant(
        "version: 1\n",
        "version: 1\npool: default\nretries: {max_attempts: 3, base_seconds: 10}\nheartbeat_tolerance_seconds: 900\n",
    )
    assert spec_hash(valid(explicit)) == spec_hash(valid(BASE))


def test_any_change_to_the_body_changes_the_hash() -> None:
    base = spec_hash(valid(BASE))
    changes = [
        variant("version: 1", "version: 2"),
        variant("count(*) as n", "count(*) as rows"),
        variant("caps: {memory_bytes: 1000000}", "caps: {memory_bytes: 1000001}"),
        variant("version: 1\n", "version: 1\ndescription: now with a description\n"),
        variant("version: 1\n", "version: 1\nretries: {jitter_seconds: 1}\n"),
    ]
    hashes = {spec_hash(valid(text)) for text in changes}
    assert base not in hashes
    assert len(hashes) == len(changes)


def test_the_canonical_form_is_sorted_compact_utf8_json_with_defaults() -> None:
    spec = valid(variant("version: 1\n", "version: 1\ndescription: Flüge über New York\n"))
    text = canonical_json(spec)
    assert "Flüge über New York" in text  # not \u-escaped
    assert ", " not in text.replace("count(*) as n", "")
    assert ": " not in text.split('"query":')[0]
    body = json.loads(text)
    assert text == json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert body == canonical_body(spec)
    assert body["retries"] == {
        "base_seconds": 10.0,
        "jitter_seconds": 0.0,
        "max_attempts": 3,
        "max_backoff_seconds": 3600.0,
    }
    assert body["phases"][2]["engine"]["max_rows"] == 10_000_000
    assert spec_hash(spec) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_stored_body_loads_back_to_the_same_hash() -> None:
    from controlroom.specs.load import parse_spec

    spec = valid(BASE)
    again = parse_spec(json.loads(canonical_json(spec)), "pipeline_specs.body")
    assert spec_hash(again) == spec_hash(spec)
