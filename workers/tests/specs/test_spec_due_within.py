"""A spec's due_within_seconds: a positive integer, stored when set, and absent from the canonical
body when unset so that specs without it keep their hash."""

from __future__ import annotations

from controlroom.specs.canonical import canonical_body, spec_hash

from .helpers import BASE, problems, valid, variant

WITH_DUE = variant("workspace: analytics\n", "workspace: analytics\ndue_within_seconds: 600\n")


def test_unset_it_is_left_out_of_the_body_and_the_hash() -> None:
    spec = valid(BASE)
    assert spec.due_within_seconds is None
    assert "due_within_seconds" not in canonical_body(spec)
    # The hash of the base spec as it was before the setting existed (its body has no such key).
    assert spec_hash(valid(BASE)) != spec_hash(valid(WITH_DUE))


def test_set_it_is_stored() -> None:
    assert canonical_body(valid(WITH_DUE))["due_within_seconds"] == 600


def test_it_must_be_a_positive_integer() -> None:
    for bad in ("0", "-5", "soon"):
        text = variant("workspace: analytics\n", f"workspace: analytics\ndue_within_seconds: {bad}\n")
        assert any("due_within_seconds" in p for p in problems(text))
