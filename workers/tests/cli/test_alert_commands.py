"""`controlroom routes validate|publish|test` and `controlroom silence add|list|expire` against the real
stack, in a workspace of the test's own."""

from __future__ import annotations

import json
from pathlib import Path

from controlroom.client.control_plane import ControlPlane
from tests.conftest import Pipeline

from .conftest import invoke

ROUTES = """\
workspace: {slug}
targets:
  oncall: {{kind: webhook, url_secret: ONCALL_URL, signing_secret: ONCALL_KEY}}
  chat: {{kind: slack, url_secret: CHAT_URL}}
routes:
  - name: flights
    match: {{signal_type: run_failed, spec: "flights-*"}}
    continue: true
    escalation:
      - {{targets: [oncall], after_seconds: 0}}
      - {{targets: [chat], after_seconds: 600}}
  - name: everything-critical
    match: {{severity: critical}}
    group_by: [signal_type]
    escalation:
      - {{targets: [chat], after_seconds: 0}}
"""


def _routes_file(service_plane: ControlPlane, pipeline: Pipeline, tmp_path: Path) -> tuple[str, Path]:
    slug = str(
        service_plane.select("workspaces", columns="slug", filters={"id": f"eq.{pipeline.workspace_id}"})[0]["slug"]
    )
    path = tmp_path / "routes.yaml"
    path.write_text(ROUTES.format(slug=slug))
    return slug, path


def test_routes_publish_once_then_unchanged_and_test_shows_the_routes_in_order(
    service_plane: ControlPlane, pipeline: Pipeline, tmp_path: Path
) -> None:
    slug, path = _routes_file(service_plane, pipeline, tmp_path)
    nothing = invoke("routes", "test", "--signal", "run_failed", "-w", slug)
    assert nothing.exit_code == 1
    assert "no published routes" in nothing.output

    assert "published routes v1" in invoke("routes", "publish", str(path)).output
    assert "unchanged routes v1" in invoke("routes", "publish", str(path)).output

    tested = invoke("routes", "test", "--signal", "run_failed", "--spec", "flights-medallion", "-w", slug, "--json")
    assert tested.exit_code == 0, tested.output
    routes = json.loads(tested.output)["routes"]
    assert [(r["name"], r["continue"], [t["name"] for t in r["targets"]]) for r in routes] == [
        ("flights", True, ["oncall"]),
        ("everything-critical", False, ["chat"]),
    ]
    assert [r["group"] for r in routes] == [None, None], "no alert yet: each route would form a new group"
    human = invoke("routes", "test", "--signal", "run_failed", "--spec", "hello", "-w", slug)
    assert "everything-critical" in human.output
    assert "a new group: its first notification waits group_wait" in human.output
    assert "flights" not in human.output.replace("everything-critical", "")

    quiet = invoke("routes", "test", "--signal", "run_too_long", "--severity", "warning", "-w", slug)
    assert quiet.exit_code == 1
    assert "nobody would be paged" in quiet.output


def test_routes_test_evaluates_an_unpublished_file(
    service_plane: ControlPlane, pipeline: Pipeline, tmp_path: Path
) -> None:
    _, path = _routes_file(service_plane, pipeline, tmp_path)
    tested = invoke("routes", "test", "--signal", "run_failed", "--spec", "flights-x", "--file", str(path), "--json")
    assert tested.exit_code == 0, tested.output
    reply = json.loads(tested.output)
    assert reply["source"] == "document"
    assert [r["name"] for r in reply["routes"]] == ["flights", "everything-critical"]


def test_a_bad_routing_file_is_refused_with_file_field_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("workspace: x\ntargets:\n  a: {kind: pager, url_secret: A_URL}\nroutes: []\n")
    result = invoke("routes", "validate", str(path))
    assert result.exit_code == 1
    assert f"{path}: targets.a.kind: 'pager' is not allowed; use one of 'slack', 'webhook' (line 3)" in result.output
    assert f"{path}: routes: must have at least 1 item (line 4)" in result.output


def test_silences_are_added_listed_and_expired(service_plane: ControlPlane, pipeline: Pipeline, tmp_path: Path) -> None:
    slug, _ = _routes_file(service_plane, pipeline, tmp_path)
    added = invoke(
        "silence", "add", "-w", slug, "--match", "spec=flights-*", "--match", "signal_type=run_failed",
        "--for", "2h", "-c", "maintenance window", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    silence = json.loads(added.output)
    assert silence["matchers"] == {"spec": "flights-*", "signal_type": "run_failed"}

    listed = json.loads(invoke("silence", "list", "-w", slug, "--json").output)
    assert [s["id"] for s in listed] == [silence["silence_id"]]
    assert invoke("silence", "expire", silence["silence_id"]).exit_code == 0
    assert json.loads(invoke("silence", "list", "-w", slug, "--json").output) == []
    assert len(json.loads(invoke("silence", "list", "-w", slug, "--all", "--json").output)) == 1

    unknown = invoke("silence", "add", "-w", slug, "--match", "team=data", "-c", "x")
    assert unknown.exit_code == 1
    assert "unknown matcher 'team'" in unknown.output
