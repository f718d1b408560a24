"""Lock order of grouped notifications: every alerting path locks an alert's group before the alert,
as the sweep does (the group with SKIP LOCKED, then its alerts). An operator resolving an alert while
a sweep notifies its group therefore waits for the sweep instead of deadlocking with it."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import psycopg
import pytest

from tests.conftest import Pipeline

ROUTES = {
    "targets": {"hook": {"kind": "webhook", "url_secret": "LOCK_TEST_URL"}},  # pragma: allowlist secret
    "routes": [{"name": "all", "escalation": [{"targets": ["hook"], "after_seconds": 0}]}],
}


RESOLVE = "select public.resolve_alert(%(id)s) ->> 'outcome'"
# A run's success raising the recovery of the alert's problem (the trigger inserts it as the owner).
RECOVER = (
    "insert into public.alert_signals (workspace_id, spec_name, pool, signal_type, severity, fingerprint,"
    " is_recovery, raised_at) select workspace_id, 'hello', 'default', 'run_recovered', 'info', fingerprint, true,"
    " now() from public.alerts where id = %(id)s returning 'resolved'"
)


@pytest.mark.parametrize("resolution", [RESOLVE, RECOVER], ids=["resolve_alert", "recovery signal"])
def test_resolving_an_alert_while_a_sweep_notifies_its_group_waits_instead_of_deadlocking(
    database_url: str, pipeline: Pipeline, resolution: str
) -> None:
    ws = pipeline.workspace_id
    with psycopg.connect(database_url, autocommit=True) as setup:
        setup.execute("select public.publish_routes(%s, %s)", [ws, json.dumps(ROUTES)])
        for _ in range(2):  # two alerts of one group (no group_by), notified at once
            setup.execute(
                "insert into public.alert_signals (workspace_id, spec_name, pool, signal_type, severity, fingerprint,"
                " raised_at) values (%s, 'hello', 'default', 'run_failed', 'critical', %s, now())",
                (ws, f"run_failed:test:{uuid.uuid4()}"),
            )
        rows = setup.execute(
            "select id, group_id from public.alerts where workspace_id = %s order by opened_at", [ws]
        ).fetchall()
    [(_, group_id), (second, same_group)] = rows
    assert group_id == same_group

    outcome: dict[str, Any] = {}

    def resolve() -> None:
        try:
            with psycopg.connect(database_url) as resolver:
                resolver.execute("set deadlock_timeout = '200ms'")
                row = resolver.execute(resolution, {"id": second}).fetchone()
                outcome["resolved"] = row[0] if row else None
        except psycopg.Error as exc:  # a deadlock would be reported here or in the sweep
            outcome["error"] = f"{type(exc).__name__}: {exc}"

    with psycopg.connect(database_url) as sweeper:
        sweeper.execute("set deadlock_timeout = '200ms'")
        # The sweep holds the group (private.escalate_due_alerts takes it FOR UPDATE SKIP LOCKED) ...
        sweeper.execute("select 1 from public.alert_groups where id = %s for update", [group_id])
        resolver = threading.Thread(target=resolve)
        resolver.start()
        time.sleep(0.5)  # the operator's resolve_alert is under way meanwhile
        # ... then writes its alerts (private.flush_alert_groups updates them): it must not wait for the
        # resolver, which waits for the group before touching the alert.
        sweeper.execute("set local lock_timeout = '5s'")
        sweeper.execute("update public.alerts set updated_at = updated_at where group_id = %s", [group_id])
        sweeper.commit()
    resolver.join(timeout=15)
    assert not resolver.is_alive()
    assert outcome == {"resolved": "resolved"}, outcome
    with psycopg.connect(database_url, autocommit=True) as check:
        status = check.execute("select status from public.alerts where id = %s", [second]).fetchone()
    assert status is not None
    assert status[0] == "resolved"
