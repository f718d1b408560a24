"""`controlroom artifacts RUN` and `controlroom artifacts verify`."""

from __future__ import annotations

import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor

import psycopg

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


def test_verify_all_checks_the_artifact_after_the_first_thousand(
    finished_run: FinishedRun, plane: ControlPlane, db: psycopg.Connection
) -> None:
    """The API answers a read with at most 1,000 rows: verify --all must page past them, or a tampered
    artifact number 1,001 goes unchecked and the command says all is well."""
    registered = plane.artifacts(run_id=finished_run.run_id)
    first = registered[0]
    bucket = first.uri.removeprefix("s3://").partition("/")[0]
    body = b"one of many artifacts\n"
    # The run's own artifacts, then registered after them (one millisecond apart) the bulk ones,
    # up to 1,001 in the workspace: the last of them, the newest, is number 1,001.
    bulk = 1001 - len(registered)
    rows = db.execute(
        """
        insert into public.artifacts (workspace_id, run_id, attempt_id, phase, name, uri, sha256, size_bytes,
                                      content_type, created_at)
        select %(workspace)s, %(run)s, %(attempt)s, 'bulk', n.name,
               's3://' || %(bucket)s || '/' || %(workspace)s || '/' || %(run)s || '/1/bulk/' || n.name,
               %(sha256)s, %(size)s, 'text/plain', pg_catalog.now() + i * interval '1 millisecond'
        from pg_catalog.generate_series(1, %(bulk)s) as i
        cross join lateral (select 'item-' || pg_catalog.lpad(i::text, 4, '0') as name) as n
        returning uri
        """,
        {
            "workspace": first.workspace_id,
            "run": first.run_id,
            "attempt": first.attempt_id,
            "bucket": bucket,
            "sha256": hashlib.sha256(body).hexdigest(),
            "size": len(body),
            "bulk": bulk,
        },
    ).fetchall()
    db.commit()
    uris = sorted(uri for (uri,) in rows)
    s3 = s3_client(os.environ.get("S3_ENDPOINT_URL") or None, os.environ.get("AWS_REGION") or None)

    def upload(uri: str) -> None:
        s3.put_object(Bucket=bucket, Key=uri.removeprefix(f"s3://{bucket}/"), Body=body)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(upload, uris))
    tampered = uris[-1]
    assert tampered.endswith(f"/bulk/item-{bulk:04d}")
    s3.put_object(Bucket=bucket, Key=tampered.removeprefix(f"s3://{bucket}/"), Body=b"one of many artifacts?\n")

    done = run_cli("artifacts", "verify", "--all", "--workspace", finished_run.workspace, timeout=600)
    assert done.code == 1, done.stderr[-2000:]
    assert no_traceback(done.stdout, done.stderr)
    assert len(done.stdout.splitlines()) == 1001
    [line] = [line for line in done.stdout.splitlines() if not line.startswith("ok ")]
    assert line.startswith(f"mismatch {tampered}  expected ")
    # Progress when stderr is not a terminal: a line every 500 artifacts or 10 seconds.
    assert re.search(r"^verifying artifacts: \d+ of 1001$", done.stderr, re.MULTILINE), done.stderr
    summary = "1001 of 1001 artifact(s) checked: 1000 ok, 1 mismatch"
    assert summary in done.stderr
    assert done.stderr.split(summary, 1)[1].strip().startswith(f"mismatch {tampered}")  # the failures, again
    # Listing the run's artifacts pages past the cap too.
    listed = invoke("artifacts", finished_run.run_id, "--json")
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)) == 1001
    # (read in SQL: the run now has more events than one API read returns)
    failed = db.execute(
        "select payload ->> 'uri' from public.run_events where run_id = %s and type = 'artifact.verification_failed'",
        (first.run_id,),
    ).fetchall()
    assert failed == [(tampered,)]


def test_verify_needs_exactly_one_of_run_and_all() -> None:
    neither = run_cli("artifacts", "verify")
    both = run_cli("artifacts", "verify", "0000000a", "--all")
    for done in (neither, both):
        assert done.code == 1
        assert "exactly one of them" in done.stderr
        assert no_traceback(done.stderr)
