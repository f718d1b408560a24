"""Canonical JSON and the spec hash: two files that mean the same spec hash the same.

Defaults are included, so the hash pins the behaviour a run gets, and changing a default in code
changes the hash of every spec that relied on it (a new version of behaviour, correctly flagged).
"""

from __future__ import annotations

import hashlib
import json

from pydantic import JsonValue

from controlroom.specs.models import PipelineSpec

OMITTED_WHEN_UNSET = ("due_within_seconds",)


def canonical_body(spec: PipelineSpec) -> dict[str, JsonValue]:
    """What pipeline_specs.body stores: the spec in JSON mode, every default filled in."""
    body: dict[str, JsonValue] = spec.model_dump(mode="json")
    if body.get("schedules") is None:
        # Specs without schedules keep the body (and hash) they had before schedules existed.
        body.pop("schedules", None)
    phases = body.get("phases")
    if isinstance(phases, list):
        # An unset retry_on is left out rather than stored as null: adding the optional key did not
        # change the hash of any spec written before it (the default policy lives in fail_run).
        body["phases"] = [
            {k: v for k, v in phase.items() if not (k == "retry_on" and v is None)}
            if isinstance(phase, dict)
            else phase
            for phase in phases
        ]
    # Absent stays absent: a spec without `alerts` keeps the body (and hash) it had before the field existed.
    if body.get("alerts") is None:
        body.pop("alerts", None)
    # Optional settings without a default are left out when unset, so adding one never changes the
    # hash of the specs that do not use it.
    for key in OMITTED_WHEN_UNSET:
        if body.get(key) is None:
            body.pop(key, None)
    return body


def canonical_json(spec: PipelineSpec) -> str:
    return json.dumps(canonical_body(spec), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_hash(spec: PipelineSpec) -> str:
    """SHA-256 (hex) of the canonical JSON's UTF-8 bytes."""
    return hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()
