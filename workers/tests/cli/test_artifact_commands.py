"""`controlroom artifacts RUN` and `controlroom artifacts verify`."""

from __future__ import annotations

import json
import os

from controlroom.artifacts import s3_client
from controlroom.client.control_plane import ControlPlane
from tests.cli.conftest import FinishedRun, invoke, no_traceback, run_cli


def test_artifacts_lists_what_the_run_registered(finished_run: FinishedRun) -> None:
    listed = invoke("artifacts", finished_run.run_id[:8])
    assert listed.exit_code == 0, listed.output
    assert "greet" in listed.stdout
    assert "result.json" in listed.stdout
    rows = json.loads(invoke("artifacts", finished_run.run_id, "--json").stdout)
    names = {(r["phase"], r["name"]) for r in rows}
    assert ("greet", "result.json") in names
    assert ("say", "logs/stdout.log") in names
    assert all(r["attempt_no"] == 1 and len(r["sha256"]) == 64 for r in rows)
    assert json.loads(invoke("artifacts", "list", finished_run.run_id, "--json").stdout) == rows


def test_verify_is_ok_then_flags_a_tampered_and_a_missing_object(
    finished_run: FinishedRun, plane: ControlPlane
) -> None:
    ok = run_cli("artifacts", "verify", finished_run.run_id)
    assert ok.code == 0, ok.stderr + ok.stdout
    rows = plane.artifacts(run_id=finished_run.run_id)
    assert len(ok.stdout.splitlines()) == len(rows)
    assert all(line.startswith("ok ") for line in ok.stdout.splitlines())

    s3 = s3_client(os.environ.get("S3_ENDPOINT_URL") or None, os.environ.get("AWS_REGION") or None)
    result = next(r for r in rows if r.name == "result.json")
    stdout_log = next(r for r in rows if r.phase == "say" and r.name == "logs/stdout.log")
    bucket, _, key = result.uri.removeprefix("s3://").partition("/")
    s3.put_object(Bucket=bucket, Key=key, Body=b'{"greeting": "tampered"}')
    bucket, _, key = stdout_log.uri.removeprefix("s3://").partition("/")
    s3.delete_object(Bucket=bucket, Key=key)

    bad = run_cli("artifacts", "verify", finished_run.run_id, "--json")
    assert bad.code == 1
    assert no_traceback(bad.stderr)
    verdicts = {r["uri"]: r for r in bad.json()}
    assert verdicts[result.uri]["status"] == "mismatch"
    assert verdicts[result.uri]["actual_size"] == len(b'{"greeting": "tampered"}')
    assert verdicts[stdout_log.uri]["status"] == "missing"
    assert sum(v["status"] == "ok" for v in verdicts.values()) == len(rows) - 2

    events = plane.run_events(finished_run.run_id)
    failed = [e for e in events if e.type == "artifact.verification_failed"]
    assert {(e.payload["uri"], e.payload["status"]) for e in failed} == {
        (result.uri, "mismatch"),
        (stdout_log.uri, "missing"),
    }
    assert sum(e.type == "artifact.verified" for e in events) == 2 * len(rows) - 2


def test_verify_all_of_a_workspace(finished_run: FinishedRun) -> None:
    done = run_cli("artifacts", "verify", "--all", "--workspace", finished_run.workspace, "--json")
    assert done.code == 0, done.stderr
    verdicts = done.json()
    assert verdicts
    assert {v["run_id"] for v in verdicts} == {finished_run.run_id}
    assert {v["status"] for v in verdicts} == {"ok"}


def test_verify_needs_exactly_one_of_run_and_all() -> None:
    neither = run_cli("artifacts", "verify")
    both = run_cli("artifacts", "verify", "0000000a", "--all")
    for done in (neither, both):
        assert done.code == 1
        assert "exactly one of them" in done.stderr
        assert no_traceback(done.stderr)
