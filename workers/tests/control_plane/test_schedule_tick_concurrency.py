"""Two schedule ticks at once (pg_cron's job overlapping an operator's manual call, or a slow tick and
the next minute's) never submit a fire time twice: the second skips the rows the first holds, and
finds them moved past its as_of once the first commits. Real connections, no mocks."""

from __future__ import annotations

from typing import Any

from tests.control_plane.conftest import connect


def _tick(conn: Any, workspace_id: object, as_of: str) -> dict[str, Any]:
    row = conn.execute(
        "select private.fire_due_schedules(%s::timestamptz, 100, %s) as answer", [as_of, workspace_id]
    ).fetchone()
    assert row is not None
    return dict(row["answer"])


def test_overlapping_ticks_submit_each_fire_time_once(database_url: str, make_world: Any) -> None:
    world = make_world({"schedules": [{"name": "tick", "cron": "* * * * *", "catchup": "all"}]})
    with connect(database_url) as setup:
        setup.execute(
            "update public.schedules set fired_through = '2026-06-01 12:00Z', next_fire_at = '2026-06-01 12:01Z' "
            "where workspace_id = %s",
            [world.workspace_id],
        )
    with connect(database_url) as first, connect(database_url) as second:
        with first.transaction():
            assert _tick(first, world.workspace_id, "2026-06-01 12:03Z")["submitted"] == 3
            # Uncommitted: the second tick must not wait for it, nor submit the same fire times.
            assert _tick(second, world.workspace_id, "2026-06-01 12:03Z")["schedules"] == 0
        assert _tick(second, world.workspace_id, "2026-06-01 12:03Z")["schedules"] == 0
        assert _tick(second, world.workspace_id, "2026-06-01 12:04Z")["submitted"] == 1
        counts = second.execute(
            "select count(*) as runs, count(distinct idempotency_key) as keys, "
            "(select count(*) from public.schedule_ticks as t where t.workspace_id = %s) as ticks "
            "from public.runs as r where r.workspace_id = %s",
            [world.workspace_id, world.workspace_id],
        ).fetchone()
    assert counts == {"runs": 4, "keys": 4, "ticks": 4}
