"""Run parameters: defaults from the spec's JSON Schema, every violation reported with its path."""

from __future__ import annotations

import pytest

from controlroom.specs.params import resolve_params
from controlroom.specs.problems import SpecError

from .helpers import BASE, valid, variant


def test_defaults_fill_what_was_not_submitted() -> None:
    assert resolve_params(valid(BASE), {}) == {"day": "2013-01-01", "limit": 10}
    assert resolve_params(valid(BASE), {"limit": 3}) == {"day": "2013-01-01", "limit": 3}


def test_every_violation_is_reported_with_its_path() -> None:
    with pytest.raises(SpecError) as caught:
        resolve_params(valid(BASE), {"limit": 0, "day": 20130101, "extra": True})
    assert [str(p) for p in caught.value.problems] == [
        "params of demo v1: Additional properties are not allowed ('extra' was unexpected)",
        "params of demo v1: day: 20130101 is not of type 'string'",
        "params of demo v1: limit: 0 is less than the minimum of 1",
    ]


def test_required_parameters_without_defaults_must_be_submitted() -> None:
    text = variant("  additionalProperties: false", "  required: [region]\n  additionalProperties: false")
    text = variant(
        "    limit: {type: integer, minimum: 1, default: 10}",
        "    limit: {type: integer, minimum: 1, default: 10}\n    region: {type: string}",
        text,
    )
    spec = valid(text)
    with pytest.raises(SpecError, match="'region' is a required property"):
        resolve_params(spec, {})
    assert resolve_params(spec, {"region": "eu"})["region"] == "eu"


def test_a_spec_without_params_accepts_only_no_params() -> None:
    text = BASE.split("params:\n", 1)[0] + "phases:\n  - {name: a, kind: shell, argv: ['true']}\n"
    spec = valid(text)
    assert resolve_params(spec, None) == {}
    with pytest.raises(SpecError, match="'x' was unexpected"):
        resolve_params(spec, {"x": 1})
