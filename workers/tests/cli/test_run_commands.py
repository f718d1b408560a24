"""`controlroom submit | runs | run show | events | cancel`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from controlroom import keys
from controlroom.client.control_plane import ControlPlane
from tests.cli.conftest import (
    EXE,
    FinishedRun,
    SpecFiles,
    invoke,
    no_traceback,
    publish,
    run_cli,
    wait_for_status,
)

PARAMS_SCHEMA = {
    "type": "object",
    "properties": {
        "n": {"type": "integer"},
        "flag": {"type": "boolean", "default": False},
        "who": {"type": "string", "default": "world"},
        "opts": {"type": "object"},
    },
    "additionalProperties": False,
}


def test_submit_wait_follows_the_run_to_the_end_and_prints_the_phases(
    specs: SpecFiles, plane: ControlPlane, start_worker: Callable[..., subprocess.Popen[str]]
) -> None:
    path = specs.write(
        phases=[
            {"name": "first", "kind": "shell", "argv": ["echo", "one"]},
            {"name": "second", "kind": "shell", "argv": [sys.executable, "-c", "print('two')"]},
        ]
    )
    publish(path)
    assert EXE
    waiting = subprocess.Popen(
        [EXE, "submit", str(path), "--wait", "--timeout", "120"],
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # --once drains what is queued and exits, so it starts once the run is in the queue.
        workspace = plane.workspace_by_slug(specs.workspace)
        assert workspace is not None
        deadline = time.monotonic() + 60
        while not plane.run_board(workspace_id=workspace.id) and time.monotonic() < deadline:
            time.sleep(0.1)
        worker = start_worker(specs.pool, "--once")
        stdout, stderr = waiting.communicate(timeout=120)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.communicate()
    assert waiting.returncode == 0, stderr
    assert worker.wait(timeout=60) == 0
    assert no_traceback(stdout, stderr)
    [row] = plane.run_board(workspace_id=workspace.id)
    assert row.status == "succeeded"
    assert f"run {row.run_id} succeeded" in stdout
    phase_rows = [line for line in stdout.splitlines() if "first" in line or "second" in line]
    assert len(phase_rows) == 2
    assert all("succeeded" in line for line in phase_rows)


def test_submit_wait_exits_1_when_the_run_fails(
    specs: SpecFiles, plane: ControlPlane, start_worker: Callable[..., subprocess.Popen[str]]
) -> None:
    path = specs.write(
        phases=[{"name": "boom", "kind": "shell", "argv": [sys.executable, "-c", "raise SystemExit(3)"]}],
        retries={"max_attempts": 1},
    )
    publish(path)
    worker = start_worker(specs.pool)  # a long-running worker, stopped by the fixture
    done = run_cli("submit", str(path), "--wait", "--timeout", "120", "--json")
    assert done.code == 1, done.stderr
    final = done.json()
    assert final["run"]["status"] == "failed"
    assert [(p["phase"], p["status"], p["attempt"]) for p in final["phases"]] == [("boom", "failed", 1)]
    assert worker.poll() is None


def test_submit_parses_params_as_json_fills_defaults_and_checks_them(specs: SpecFiles, plane: ControlPlane) -> None:
    path = specs.write(params=PARAMS_SCHEMA)
    publish(path)
    done = invoke(
        "submit", "cli-test", "--workspace", specs.workspace,
        "--param", "n=3", "-p", "flag=true", "-p", "who=ada", "-p", 'opts={"a": [1, 2]}', "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    run = json.loads(done.stdout)
    assert run["params"] == {"n": 3, "flag": True, "who": "ada", "opts": {"a": [1, 2]}}
    assert run["status"] == "queued"

    text = invoke("submit", str(path), "-p", "n=4", "-p", "who=42 things")
    assert text.exit_code == 0, text.output
    assert "submitted run" in text.stdout

    bad = run_cli("submit", str(path), "-p", "n=three")
    assert bad.code == 1
    assert "n: 'three' is not of type 'integer'" in bad.stdout
    assert "nothing submitted" in bad.stderr
    workspace = plane.workspace_by_slug(specs.workspace)
    assert workspace is not None
    runs = plane.run_board(workspace_id=workspace.id)
    assert len(runs) == 2
    assert {r.status for r in runs} == {"queued"}
    assert any(r.priority == 0 for r in runs)


def test_submit_with_an_idempotency_key_returns_the_same_run(specs: SpecFiles) -> None:
    path = specs.write()
    publish(path)
    first = invoke("submit", str(path), "--idempotency-key", "nightly-1", "--priority", "5", "--json")
    again = invoke("submit", str(path), "--idempotency-key", "nightly-1", "--priority", "5", "--json")
    assert first.exit_code == again.exit_code == 0, first.output + again.output
    assert json.loads(first.stdout)["id"] == json.loads(again.stdout)["id"]
    conflict = run_cli("submit", str(path), "--idempotency-key", "nightly-1", "--priority", "6")
    assert conflict.code == 1
    assert "[23505]" in conflict.stderr
    assert "Use a new idempotency key" in conflict.stderr
    assert no_traceback(conflict.stderr)


def test_submit_of_an_edited_file_refuses_until_the_version_is_bumped(specs: SpecFiles) -> None:
    path = specs.write(description="published")
    publish(path)
    path.write_text(path.read_text(encoding="utf-8").replace("published", "edited"), encoding="utf-8")
    done = run_cli("submit", str(path))
    assert done.code == 1
    assert "differs from the published cli-test@1" in done.stderr


def test_submit_of_an_unpublished_spec_says_so(specs: SpecFiles, plane: ControlPlane) -> None:
    plane.create_workspace(specs.workspace)
    done = run_cli("submit", "never-published", "--workspace", specs.workspace)
    assert done.code == 1
    assert f"spec never-published is not published in workspace {specs.workspace}" in done.stderr


def test_runs_run_show_and_events_show_the_run(finished_run: FinishedRun) -> None:
    short = finished_run.run_id[:8]
    board = invoke("runs", "--workspace", finished_run.workspace)
    assert board.exit_code == 0, board.output
    assert short in board.stdout
    assert "two-phases@1" in board.stdout
    board_json = json.loads(invoke("runs", "--workspace", finished_run.workspace, "--json").stdout)
    assert [(r["run_id"], r["status"]) for r in board_json] == [(finished_run.run_id, "succeeded")]
    failed_only = json.loads(
        invoke("runs", "--workspace", finished_run.workspace, "--status", "failed", "--json").stdout
    )
    assert failed_only == []

    show = invoke("run", "show", short)
    assert show.exit_code == 0, show.output
    assert finished_run.run_id in show.stdout
    assert "transitions" in show.stdout
    assert "submitted" in show.stdout
    details = json.loads(invoke("run", "show", finished_run.run_id, "--json").stdout)
    assert [a["status"] for a in details["attempts"]] == ["succeeded"]
    assert "lease_token" not in details["attempts"][0]
    trail = [(t["from_status"], t["to_status"]) for t in details["transitions"]]
    assert trail == [(None, "queued"), ("queued", "claimed"), ("claimed", "running"), ("running", "succeeded")]
    assert details["transitions"][0]["actor"] == "service_role"
    assert details["transitions"][-1]["actor"].startswith("executor:")

    events = json.loads(invoke("events", short, "--json").stdout)
    phases = [(e["type"], e["phase"]) for e in events if e["type"].startswith("phase.") and e["type"] != "phase.log"]
    assert phases == [
        ("phase.started", "say"),
        ("phase.finished", "say"),
        ("phase.started", "greet"),
        ("phase.finished", "greet"),
    ]
    assert {e["attempt_no"] for e in events if e["attempt_id"]} == {1}
    table = invoke("events", finished_run.run_id)
    assert table.exit_code == 0
    assert "phase.finished" in table.stdout


def test_events_follow_prints_until_the_run_ends(
    specs: SpecFiles, plane: ControlPlane, start_worker: Callable[..., subprocess.Popen[str]]
) -> None:
    path = specs.write(phases=[{"name": "nap", "kind": "shell", "argv": ["sleep", "1"]}])
    publish(path)
    run_id = json.loads(invoke("submit", str(path), "--json").stdout)["id"]
    assert EXE
    follower = subprocess.Popen(
        [EXE, "events", run_id, "--follow", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        start_worker(specs.pool, "--once")
        stdout, stderr = follower.communicate(timeout=120)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.communicate()
    assert follower.returncode == 0, stderr
    followed = [json.loads(line) for line in stdout.splitlines()]
    stored = json.loads(invoke("events", run_id, "--json").stdout)
    assert [e["id"] for e in followed] == [e["id"] for e in stored]
    assert "phase.finished" in [e["type"] for e in followed]
    assert wait_for_status(plane, run_id, {"succeeded"}) == "succeeded"


def test_cancel_of_a_queued_run_by_its_short_id(specs: SpecFiles) -> None:
    path = specs.write()
    publish(path)
    run_id = json.loads(invoke("submit", str(path), "--json").stdout)["id"]
    done = run_cli("cancel", run_id[:8], "--reason", "not today")
    assert done.code == 0, done.stderr
    assert f"run {run_id} cancelled" in done.stdout
    details = json.loads(invoke("run", "show", run_id, "--json").stdout)
    assert details["run"]["status"] == "cancelled"
    last = details["transitions"][-1]
    assert (last["to_status"], last["actor"]) == ("cancelled", "service_role")
    assert "not today" in last["reason"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "show", "6f1c7a52-0000-4000-8000-000000000000"), "run 6f1c7a52-0000-4000-8000-000000000000 not found"),
        (("events", "0000000f"), "run 0000000f not found"),
        (("cancel", "not-a-run"), "'not-a-run' is not a run id"),
        (("runs", "--workspace", "no-such-workspace-here"), "workspace no-such-workspace-here not found"),
    ],
)
def test_unknown_names_are_one_paragraph_errors(args: tuple[str, ...], message: str) -> None:
    done = run_cli(*args)
    assert done.code == 1
    assert message in done.stderr
    assert done.stderr.startswith("error: ")
    assert done.stderr.count("\n") == 1
    assert no_traceback(done.stderr)


def test_without_credentials_it_says_what_to_export() -> None:
    done = run_cli("runs", unset=("CONTROLROOM_TOKEN", "SUPABASE_SERVICE_ROLE_KEY"))
    assert done.code == 1
    assert "CONTROLROOM_TOKEN" in done.stderr
    assert "SUPABASE_SERVICE_ROLE_KEY" in done.stderr
    assert no_traceback(done.stderr)


def test_a_user_token_acts_as_that_user(specs: SpecFiles, plane: ControlPlane, database_url: str) -> None:
    path = specs.write()
    publish(path)
    run_id = json.loads(invoke("submit", str(path), "--json").stdout)["id"]
    workspace = plane.workspace_by_slug(specs.workspace)
    assert workspace is not None
    user_id = _user(database_url)
    plane.add_workspace_member(workspace.id, user_id, "viewer")
    now = int(time.time())
    token = keys.sign(
        {"sub": user_id, "role": "authenticated", "aud": "authenticated", "iat": now, "exp": now + 600},
        os.environ["SUPABASE_JWT_SECRET"],
    )
    as_viewer = {"CONTROLROOM_TOKEN": token}
    seen = run_cli("runs", "--json", env=as_viewer)
    assert seen.code == 0, seen.stderr
    assert [r["run_id"] for r in seen.json()] == [run_id]  # RLS: only the workspace the user is in
    refused = run_cli("cancel", run_id, env=as_viewer)
    assert refused.code == 1
    assert refused.stderr.startswith("error: [42501] viewers cannot cancel runs")
    assert "(hint: " in refused.stderr


def _user(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row: Any = conn.execute(
            "insert into auth.users (id, aud, role, email) "
            "values (gen_random_uuid(), 'authenticated', 'authenticated', gen_random_uuid() || '@example.test') "
            "returning id::text"
        ).fetchone()
    return str(row[0])


def test_runs_search_finds_a_run_beyond_the_first_page_server_side(specs: SpecFiles, plane: ControlPlane) -> None:
    """The search is a filter of the board query, not of the page a client holds: the one run of
    spec `needle-job` is found although 30 newer runs fill the first page. ILIKE's wildcards in
    the text match themselves: "needle_job" and "needle%job" find nothing."""
    needle = specs.write("needle-job")
    publish(needle)
    publish(specs.write("hay"))
    workspace = plane.workspace_by_slug(specs.workspace)
    assert workspace is not None
    needle_id = str(plane.submit_run(workspace.id, spec_name="needle-job").id)
    plane.submit_runs(workspace.id, [{"spec_name": "hay", "params": {}} for _ in range(30)])

    def board(*args: str) -> list[str]:
        done = run_cli("runs", "--workspace", specs.workspace, "--limit", "25", "--json", *args)
        assert done.code == 0, done.stderr
        return [r["run_id"] for r in done.json()]

    assert needle_id not in board(), "without a search the needle is not on the first page"
    assert board("--search", "NEEDLE-JOB") == [needle_id]
    assert board("--search", needle_id[:13]) == [needle_id]
    assert board("--search", "needle_job") == []
    assert board("--search", "needle%job") == []
