"""The optional `alerts` settings of a spec: kept when given, absent (same body, same hash) when not."""

from __future__ import annotations

from controlroom.specs.canonical import canonical_body

from .helpers import BASE, problems, valid

WITH_ALERTS = (
    BASE
    + """\
alerts:
  duration_warning_seconds: 600
  queued_warning_seconds: 300
  criticality: high
  labels: {team: data}
"""
)


def test_a_spec_without_alerts_keeps_its_body_without_the_key() -> None:
    body = canonical_body(valid(BASE))
    assert "alerts" not in body


def test_alert_settings_are_stored_in_the_body() -> None:
    body = canonical_body(valid(WITH_ALERTS))
    assert body["alerts"] == {
        "duration_warning_seconds": 600,
        "queued_warning_seconds": 300,
        "criticality": "high",
        "labels": {"team": "data"},
    }


def test_bad_alert_settings_are_refused() -> None:
    found = problems(WITH_ALERTS.replace("criticality: high", "criticality: urgent").replace("600", "0"))
    assert any("alerts.criticality" in p for p in found), found
    assert any("alerts.duration_warning_seconds" in p for p in found), found
