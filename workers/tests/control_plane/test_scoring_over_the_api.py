"""Scoring through the API as clients use it: submit with due_by, read the factors back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from controlroom.client.control_plane import ControlPlane


def test_due_by_raises_the_deadline_factor_and_explain_score_adds_up(
    service_plane: ControlPlane, make_world: Any
) -> None:
    world = make_world()
    relaxed = service_plane.submit_run(world.workspace_id, spec_name=world.spec_name)
    urgent = service_plane.submit_run(
        world.workspace_id, spec_name=world.spec_name, due_by=datetime.now(UTC) + timedelta(minutes=6)
    )
    assert urgent.due_by is not None
    assert urgent.score is not None
    assert relaxed.score is not None
    assert urgent.score > relaxed.score

    factors = {f.factor: f for f in service_plane.explain_score(urgent.id)}
    assert list(factors) == ["priority", "age", "deadline", "fair_share", "retry", "duration", "total", "stored"]
    deadline = factors["deadline"]
    assert deadline.normalised is not None
    assert 0.85 < deadline.normalised < 0.95  # due in 6 minutes of a 60-minute horizon: about 0.9
    parts = sum(f.contribution or 0 for name, f in factors.items() if name not in ("total", "stored"))
    assert abs(parts - (factors["total"].contribution or 0)) < 1e-6
    assert factors["stored"].contribution == urgent.score
