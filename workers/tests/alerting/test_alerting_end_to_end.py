"""Issue 14's acceptance, end to end on the real stack: a run fails, its alert pages tier 1 within 5 s
and tier 2 after its delay; `controlroom alerts ack` stops the escalation; a retry that succeeds
resolves the "run longer than threshold" alert; a dispatcher killed mid-delivery loses nothing; a
webhook answering 500 or hanging is retried and recorded and never holds up the others."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner, Result

from controlroom.cli import app
from controlroom.client.control_plane import ControlPlane
from controlroom.settings import project_root
from controlroom.specs.canonical import canonical_body
from controlroom.specs.load import load_spec
from controlroom.specs.models import RetryPolicy, SpecAlerts
from tests.conftest import Pipeline

from .conftest import Dispatchers, Receiver, alerts_of, deliveries_of, eventually

pytestmark = pytest.mark.xdist_group("alerting")


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def slug_of(plane: ControlPlane, workspace_id: str) -> str:
    return str(plane.select("workspaces", columns="slug", filters={"id": f"eq.{workspace_id}"})[0]["slug"])


def publish_routes(plane: ControlPlane, pipeline: Pipeline, tmp_path: Path, routes: str, targets: str) -> None:
    """Through the CLI, as an operator would: a routing file, validated, then published."""
    path = tmp_path / "routes.yaml"
    path.write_text(f"workspace: {slug_of(plane, pipeline.workspace_id)}\ntargets:\n{targets}\nroutes:\n{routes}")
    assert cli("routes", "validate", str(path)).exit_code == 0
    published = cli("routes", "publish", str(path))
    assert published.exit_code == 0, published.output
    assert "published routes v1" in published.output


def fail_a_run(plane: ControlPlane, worker: ControlPlane, pipeline: Pipeline, spec: str | None = None) -> str:
    run = plane.submit_run(pipeline.workspace_id, spec_name=spec or pipeline.spec_name)
    me = worker.register_executor()
    lease = worker.claim_runs(me.id)[0].lease_token
    worker.start_run(lease)
    worker.fail_run(lease, retryable=False, error_class="Boom", message="the phase broke")
    return str(run.id)


TWO_TIERS = """\
  - name: failures
    match: {signal_type: run_failed}
    escalation:
      - {targets: [oncall], after_seconds: 0}
      - {targets: [lead], after_seconds: 3}
"""


def two_tier_targets(receiver: Receiver, dispatchers: Dispatchers, tag: str) -> str:
    receiver.keys["oncall"] = "oncall-key"
    dispatchers.secret(f"{tag}_ONCALL_URL", receiver.url("oncall"))
    dispatchers.secret(f"{tag}_ONCALL_KEY", "oncall-key")
    dispatchers.secret(f"{tag}_LEAD_URL", receiver.url("lead"))
    return (
        f"  oncall: {{kind: webhook, url_secret: {tag}_ONCALL_URL, signing_secret: {tag}_ONCALL_KEY}}\n"
        f"  lead: {{kind: slack, url_secret: {tag}_LEAD_URL}}"
    )


def tag() -> str:
    return "T" + uuid.uuid4().hex[:8].upper()


def test_a_failed_run_pages_tier_1_within_5_s_and_tier_2_after_its_delay(
    service_plane: ControlPlane,
    executor_plane: Callable[[str], ControlPlane],
    pipeline: Pipeline,
    receiver: Receiver,
    dispatchers: Dispatchers,
    tmp_path: Path,
) -> None:
    name = tag()
    publish_routes(service_plane, pipeline, tmp_path, TWO_TIERS, two_tier_targets(receiver, dispatchers, name))
    dispatchers.start()
    failed_at = time.monotonic()
    run_id = fail_a_run(service_plane, executor_plane(pipeline.pool), pipeline)

    [page] = receiver.wait_for("oncall", 1, timeout=5)
    assert page.at - failed_at < 5, f"tier 1 reached after {page.at - failed_at:.2f} s"
    assert page.signature_ok, "the webhook is signed with the target's key"
    body = page.json
    assert (body["signal_type"], body["tier"], body["subject"]["spec"]) == ("run_failed", 1, "hello")
    assert receiver.of("lead") == [], "tier 2 waits for its delay"

    [lead] = receiver.wait_for("lead", 1, timeout=10)
    # The delay counts in the database from tier 1's escalation; each page then takes up to one poll
    # (250 ms) plus the request to arrive, so the receiver sees the gap give or take that.
    escalated = {
        c["tier"]: datetime.fromisoformat(c["at"])
        for c in service_plane.select("alert_changes", filters={"workspace_id": f"eq.{pipeline.workspace_id}"})
        if c["change"] == "escalated"
    }
    gap = (escalated[2] - escalated[1]).total_seconds()
    assert 3 <= gap < 4.5, f"tier 2 escalated {gap:.2f} s after tier 1 (delay 3 s)"
    assert 2.5 <= lead.at - page.at < 5, f"tier 2 arrived {lead.at - page.at:.2f} s after tier 1"
    assert lead.json["text"].startswith(":red_circle: [CRITICAL] run failed")
    [alert] = alerts_of(service_plane, pipeline.workspace_id)
    assert (alert["status"], alert["tier"], alert["subject"]["run_id"]) == ("open", 2, run_id)
    sent = [(d["tier"], d["target_name"], d["status"]) for d in deliveries_of(service_plane, pipeline.workspace_id)]
    assert sent == [(1, "oncall", "sent"), (2, "lead", "sent")]

    shown = cli("alerts", "show", str(alert["id"]), "--json")
    assert shown.exit_code == 0, shown.output
    assert "attempt_log" in shown.output
    assert '"status_code": 200' in shown.output


def test_acknowledging_with_the_cli_stops_the_escalation(
    service_plane: ControlPlane,
    executor_plane: Callable[[str], ControlPlane],
    pipeline: Pipeline,
    receiver: Receiver,
    dispatchers: Dispatchers,
    tmp_path: Path,
) -> None:
    name = tag()
    publish_routes(service_plane, pipeline, tmp_path, TWO_TIERS, two_tier_targets(receiver, dispatchers, name))
    dispatchers.start()
    fail_a_run(service_plane, executor_plane(pipeline.pool), pipeline)
    assert len(receiver.wait_for("oncall", 1, timeout=5)) == 1
    [alert] = alerts_of(service_plane, pipeline.workspace_id)

    acked = cli("alerts", "ack", str(alert["id"])[:8], "--note", "on it")
    assert acked.exit_code == 0, acked.output
    assert "acknowledged alert" in acked.output
    assert "escalation stopped" in acked.output

    time.sleep(4.5)  # past tier 2's delay (3 s) with polls every 250 ms
    assert receiver.of("lead") == [], "nobody else is paged once somebody acknowledged"
    [alert] = alerts_of(service_plane, pipeline.workspace_id)
    assert (alert["status"], alert["tier"], alert["next_escalation_at"]) == ("acknowledged", 1, None)
    listed = cli("alerts", "--open", "--json")
    assert str(alert["id"]) in listed.output
    again = cli("alerts", "ack", str(alert["id"]))
    assert "already acknowledged" in again.output


def test_a_retry_that_succeeds_resolves_the_run_too_long_alert(
    service_plane: ControlPlane,
    executor_plane: Callable[[str], ControlPlane],
    pipeline: Pipeline,
    receiver: Receiver,
    dispatchers: Dispatchers,
    database_url: str,
    tmp_path: Path,
) -> None:
    hello = load_spec(project_root() / "specs" / "examples" / "hello.yaml")
    slow = hello.model_copy(
        update={
            "name": "slow-hello",
            "workspace": slug_of(service_plane, pipeline.workspace_id),
            "pool": pipeline.pool,
            "alerts": SpecAlerts(duration_warning_seconds=1),
            "retries": RetryPolicy(max_attempts=2, base_seconds=0, max_backoff_seconds=0),
        }
    )
    service_plane.publish_spec(pipeline.workspace_id, slow.name, str(slow.version), canonical_body(slow))
    name = tag()
    dispatchers.secret(f"{name}_URL", receiver.url("team"))
    routes = """\
  - name: slow-runs
    match: {signal_type: run_too_long}
    send_resolved: true
    escalation:
      - {targets: [team], after_seconds: 0}
"""
    publish_routes(service_plane, pipeline, tmp_path, routes, f"  team: {{kind: webhook, url_secret: {name}_URL}}")
    dispatchers.start()

    run = service_plane.submit_run(pipeline.workspace_id, spec_name="slow-hello")
    worker = executor_plane(pipeline.pool)
    me = worker.register_executor()
    lease = worker.claim_runs(me.id)[0].lease_token
    worker.start_run(lease)
    time.sleep(1.2)  # past its 1 s duration warning
    with psycopg.connect(database_url, autocommit=True) as conn:  # what pg_cron does every minute
        conn.execute("select public.sweep_alerts(null, %s)", (pipeline.workspace_id,))
    [warned] = receiver.wait_for("team", 1, timeout=5)
    assert (warned.json["signal_type"], warned.json["change"]) == ("run_too_long", "escalated")

    worker.fail_run(lease, retryable=True, error_class="Flaky", message="first attempt broke")
    retry = eventually(
        lambda: worker.claim_runs(me.id), lambda claimed: len(claimed) == 1, timeout=10, what="the retry is claimable"
    )[0]
    assert (retry.run_id, retry.attempt_no) == (run.id, 2)
    worker.start_run(retry.lease_token)
    assert worker.complete_run(retry.lease_token).run_status == "succeeded"

    [alert] = eventually(
        lambda: alerts_of(service_plane, pipeline.workspace_id),
        lambda rows: bool(rows) and rows[0]["status"] == "resolved",
        timeout=5,
        what="the run_too_long alert resolves when the retry succeeds",
    )
    assert alert["signal_type"] == "run_too_long"
    hits = receiver.wait_for("team", 2, timeout=5)
    assert [h.json["change"] for h in hits] == ["escalated", "resolved"]


def raise_signals(database_url: str, workspace_id: str, count: int) -> None:
    """Signals as the database's triggers insert them, one alert each (distinct fingerprints)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for _ in range(count):
            conn.execute(
                "insert into public.alert_signals (workspace_id, spec_name, pool, signal_type, severity, fingerprint,"
                " raised_at) values (%s, 'hello', 'default', 'run_failed', 'critical', %s, now())",
                (workspace_id, f"run_failed:test:{uuid.uuid4()}"),
            )


def test_a_dispatcher_killed_mid_delivery_loses_no_notification(
    service_plane: ControlPlane,
    pipeline: Pipeline,
    receiver: Receiver,
    dispatchers: Dispatchers,
    database_url: str,
    tmp_path: Path,
) -> None:
    name = tag()
    receiver.keys["hook"] = "hook-key"
    dispatchers.secret(f"{name}_URL", receiver.url("hook"))
    dispatchers.secret(f"{name}_KEY", "hook-key")
    receiver.behaviour["hook"] = lambda n: (200, 3.0 if n == 1 else 0.0)  # the first request hangs 3 s
    routes = "  - name: all\n    escalation:\n      - {targets: [hook], after_seconds: 0}\n"
    target = f"  hook: {{kind: webhook, url_secret: {name}_URL, signing_secret: {name}_KEY}}"
    publish_routes(service_plane, pipeline, tmp_path, routes, target)
    first = dispatchers.start(lease_seconds=2)
    # Six alerts of one group, each joining after the one before was notified (group_interval unset):
    # the first notification and five updates, six deliveries.
    raise_signals(database_url, pipeline.workspace_id, 6)

    receiver.wait_for("hook", 1, timeout=5)
    first.kill(signal.SIGKILL)  # mid-delivery: the first request is still waiting for its answer
    in_flight = {h.delivery for h in receiver.of("hook")}
    # What had completed before the kill: recorded as sent. None of it may ever arrive again.
    done_before_kill = {
        str(d["id"]) for d in deliveries_of(service_plane, pipeline.workspace_id) if d["status"] == "sent"
    }
    dispatchers.start(lease_seconds=2)

    rows = eventually(
        lambda: deliveries_of(service_plane, pipeline.workspace_id),
        lambda ds: len(ds) == 6 and all(d["status"] == "sent" for d in ds),
        timeout=20,
        what="every delivery is sent after the kill",
    )
    hits = receiver.of("hook")
    counts = Counter(h.delivery for h in hits)
    assert set(counts) == {str(d["id"]) for d in rows}, "every delivery arrives: no notification is lost"
    assert len(counts) == len(rows), "the receiver's distinct delivery ids are the deliveries"
    assert all(h.signature_ok for h in hits), "every request, repeats included, is signed and fresh"
    # At least once: a request cut by the kill is sent again after its lease expires, with the same
    # X-Controlroom-Delivery id and the same notification (only the attempt number and the signing
    # time differ), so a receiver drops the repeat by the id; nothing else is ever sent twice.
    repeated = {delivery for delivery, n in counts.items() if n > 1}
    assert repeated <= in_flight, counts
    assert max(counts.values()) <= 2, counts
    for delivery in repeated:
        bodies = [h.json for h in hits if h.delivery == delivery]
        assert [b.pop("attempt") for b in bodies] == [1, 2]
        assert bodies[0] == bodies[1], "a repeat carries the same notification"
    assert not done_before_kill & repeated, "a delivery completed before the kill is never sent again"
    assert all(counts[d] == 1 for d in done_before_kill), counts
    attempts = service_plane.select(
        "alert_delivery_attempts", filters={"workspace_id": f"eq.{pipeline.workspace_id}"}, order="id"
    )
    expired = [a for a in attempts if a["outcome"] == "expired"]
    assert expired, "the cut attempt is on record"
    assert {a["dispatcher"] for a in expired} == {first.name}


def test_runs_failing_within_group_wait_reach_the_receiver_as_one_notification(
    service_plane: ControlPlane,
    executor_plane: Callable[[str], ControlPlane],
    pipeline: Pipeline,
    receiver: Receiver,
    dispatchers: Dispatchers,
    tmp_path: Path,
) -> None:
    hello = load_spec(project_root() / "specs" / "examples" / "hello.yaml")
    specs = [f"hello-{n}" for n in range(10)]
    for spec in specs:  # ten pipelines: ten fingerprints, ten alerts
        copy = hello.model_copy(
            update={"name": spec, "workspace": slug_of(service_plane, pipeline.workspace_id), "pool": pipeline.pool}
        )
        service_plane.publish_spec(pipeline.workspace_id, copy.name, str(copy.version), canonical_body(copy))
    name = tag()
    receiver.keys["team"] = "team-key"
    dispatchers.secret(f"{name}_URL", receiver.url("team"))
    dispatchers.secret(f"{name}_KEY", "team-key")
    dispatchers.secret(f"{name}_CHAT", receiver.url("chat"))
    routes = """\
  - name: failures
    match: {signal_type: run_failed}
    group_by: [signal_type]
    group_wait_seconds: 6
    escalation:
      - {targets: [team, chat], after_seconds: 0}
"""
    targets = (
        f"  team: {{kind: webhook, url_secret: {name}_URL, signing_secret: {name}_KEY}}\n"
        f"  chat: {{kind: slack, url_secret: {name}_CHAT}}"
    )
    publish_routes(service_plane, pipeline, tmp_path, routes, targets)
    dispatchers.start()
    worker = executor_plane(pipeline.pool)
    started = time.monotonic()
    run_ids = {fail_a_run(service_plane, worker, pipeline, spec) for spec in specs}
    failing_took = time.monotonic() - started
    assert failing_took < 6, f"the ten failures took {failing_took:.1f} s, longer than group_wait"

    [page] = receiver.wait_for("team", 1, timeout=12)
    time.sleep(2)  # anything else the group would send has had its chance
    assert len(receiver.of("team")) == 1, "one notification for the group"
    assert page.signature_ok
    body = page.json
    assert (body["change"], body["status"], body["group_labels"]) == (
        "escalated",
        "firing",
        {"signal_type": "run_failed"},
    )
    assert len(body["alerts"]) == 10
    assert body["alerts_firing"] == 10
    assert {a["subject"]["run_id"] for a in body["alerts"]} == run_ids
    assert {a["subject"]["spec"] for a in body["alerts"]} == set(specs)
    [chat] = receiver.wait_for("chat", 1, timeout=5)
    listed = json.dumps(chat.json["blocks"])
    assert all(f"run failed of {spec}" in listed for spec in specs), "the Slack message lists every alert"

    [alert, *_] = alerts_of(service_plane, pipeline.workspace_id)
    shown = cli("alerts", "show", str(alert["id"]), "--json")
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.output)
    assert detail["group"]["group_key"] == 'failures:{signal_type="run_failed"}'
    assert len(detail["group_alerts"]) == 10
    assert sorted(d["target_name"] for d in detail["deliveries"]) == ["chat", "team"]
    tested = cli("routes", "test", "--signal", "run_failed", "-w", slug_of(service_plane, pipeline.workspace_id))
    assert tested.exit_code == 0, tested.output
    assert "joins group" in tested.output
    assert "10 unresolved" in tested.output


def test_a_webhook_answering_500_or_hanging_is_retried_and_recorded_and_never_blocks_the_others(
    service_plane: ControlPlane,
    pipeline: Pipeline,
    receiver: Receiver,
    dispatchers: Dispatchers,
    database_url: str,
    tmp_path: Path,
) -> None:
    name = tag()
    for path in ("flaky", "hang", "good"):
        dispatchers.secret(f"{name}_{path.upper()}", receiver.url(path))
    receiver.behaviour["flaky"] = lambda n: (500 if n <= 2 else 200, 0.0)
    receiver.behaviour["hang"] = lambda n: (200, 5.0 if n == 1 else 0.0)  # past the 1 s timeout, once
    targets = "\n".join(f"  {p}: {{kind: webhook, url_secret: {name}_{p.upper()}}}" for p in ("flaky", "hang", "good"))
    routes = "  - name: all\n    escalation:\n      - {targets: [flaky, hang, good], after_seconds: 0}\n"
    publish_routes(service_plane, pipeline, tmp_path, routes, targets)
    dispatchers.start(timeout_ms=1000)
    started = time.monotonic()
    raise_signals(database_url, pipeline.workspace_id, 1)

    [good] = receiver.wait_for("good", 1, timeout=5)
    hang_first = receiver.wait_for("hang", 1, timeout=5)[0]
    assert good.at - started < 2.5, "the good target is not held up by the hanging one"
    assert good.at < hang_first.at + 1.0

    rows = eventually(
        lambda: deliveries_of(service_plane, pipeline.workspace_id),
        lambda ds: len(ds) == 3 and all(d["status"] == "sent" for d in ds),
        timeout=30,
        what="the 500s and the time-out are retried until they succeed",
    )
    by_target = {d["target_name"]: d for d in rows}
    attempts = service_plane.select(
        "alert_delivery_attempts", filters={"workspace_id": f"eq.{pipeline.workspace_id}"}, order="id"
    )

    def record(target: str) -> list[tuple[Any, ...]]:
        mine = [a for a in attempts if a["delivery_id"] == by_target[target]["id"]]
        return [(a["attempt"], a["outcome"], a["status_code"], a["error"]) for a in mine]

    assert record("flaky") == [
        (1, "failed", 500, "HTTP 500: receiver says no"),
        (2, "failed", 500, "HTTP 500: receiver says no"),
        (3, "sent", 200, None),
    ]
    assert record("hang") == [(1, "failed", None, "timed out after 1000 ms"), (2, "sent", 200, None)]
    assert record("good") == [(1, "sent", 200, None)]
    flaky = receiver.of("flaky")
    assert flaky[1].at - flaky[0].at >= 1.5, "exponential backoff: 2 s"
    assert flaky[2].at - flaky[1].at >= 3.5, "exponential backoff: then 4 s"
