"""Concurrency proof of alerting (issue 14) on the real database: one problem raised by two
transactions at once is one alert, and neither transaction fails.

(Concurrent dispatchers are not exercised here: claim_deliveries takes due deliveries of every
workspace, so a test of it would lease other suites' deliveries on a shared database.)"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from .conftest import World, connect

ROUTES = {
    "targets": {"oncall": {"kind": "webhook", "url_secret": "ONCALL_URL"}},  # pragma: allowlist secret
    "routes": [{"name": "all", "escalation": [{"targets": ["oncall"]}]}],
}

SIGNAL = """
insert into public.alert_signals (workspace_id, spec_name, pool, signal_type, severity, fingerprint, raised_at)
values (%s, 'etl', %s, 'run_failed', 'critical', %s, now())
"""


def test_one_problem_raised_by_two_transactions_at_once_is_one_alert(database_url: str, make_world: Any) -> None:
    world: World = make_world()
    with connect(database_url) as conn:
        conn.execute("select public.publish_routes(%s, %s)", [world.workspace_id, json.dumps(ROUTES)])
    first = connect(database_url)
    second_done = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with connect(database_url) as conn, conn.transaction():
                conn.execute(SIGNAL, [world.workspace_id, world.pool, "run_failed:spec:etl"])
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            second_done.set()

    try:
        with first.transaction():
            first.execute(SIGNAL, [world.workspace_id, world.pool, "run_failed:spec:etl"])
            thread = threading.Thread(target=second)
            thread.start()
            # The second transaction opens the same alert and must wait for this one.
            time.sleep(0.5)
            assert not second_done.is_set(), "the second insert did not wait for the first alert"
        thread.join(timeout=30)
    finally:
        first.close()
    assert not errors, errors
    with connect(database_url) as conn:
        rows = conn.execute(
            "select signal_count from public.alerts where workspace_id = %s", [world.workspace_id]
        ).fetchall()
    assert [r["signal_count"] for r in rows] == [2]
