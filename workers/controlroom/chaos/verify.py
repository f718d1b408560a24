"""What must hold after the faults, checked from the database and S3 (never from worker logs)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass
class Findings:
    runs_expected: int
    runs_found: int = 0
    runs_succeeded: int = 0
    runs_lost: int = 0  # submitted but not succeeded (still open, failed, or missing)
    succeeded_twice: int = 0
    duplicate_submits: int = 0
    artifacts_checked: int = 0
    artifacts_missing: int = 0  # a succeeded attempt without a record, or a record without its object
    artifacts_mismatched: int = 0  # object bytes whose SHA-256 or size differ from the record
    orphans_of_succeeded: int = 0  # objects of succeeded attempts with no record
    orphan_objects: int = 0  # objects of any attempt with no record (killed attempts may leave some)
    event_gaps: int = 0
    audit_breaks: int = 0
    attempts: int = 0
    retryable_failures: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.examples) < 20:
            self.examples.append(text)

    def must_be_zero(self) -> dict[str, int]:
        return {
            "runs_lost": self.runs_lost,
            "succeeded_twice": self.succeeded_twice,
            "duplicate_submits": self.duplicate_submits,
            "artifacts_missing": self.artifacts_missing,
            "artifacts_mismatched": self.artifacts_mismatched,
            "orphans_of_succeeded": self.orphans_of_succeeded,
            "event_gaps": self.event_gaps,
            "audit_breaks": self.audit_breaks,
        }


def verify(
    conn: psycopg.Connection[Any], s3: S3Client, bucket: str, workspace_id: str, expected: int, required: set[str]
) -> Findings:
    """`required`: the `<phase>/<name>` every succeeded attempt must have stored and recorded."""
    f = Findings(runs_expected=expected)
    ws = (workspace_id,)
    runs = conn.execute(
        "select id::text, status, idempotency_key from public.runs where workspace_id = %s", ws
    ).fetchall()
    f.runs_found = len(runs)
    keys = [r[2] for r in runs]
    f.duplicate_submits = len(keys) - len(set(keys))
    f.runs_succeeded = sum(1 for r in runs if r[1] == "succeeded")
    f.runs_lost = expected - f.runs_succeeded + max(0, len(set(keys)) - expected)
    for run_id, status, _ in runs:
        if status != "succeeded":
            f.note(f"run {run_id} ended {status}")

    twice = conn.execute(
        "select run_id::text, count(*) from public.run_attempts where workspace_id = %s and status = 'succeeded' "
        "group by run_id having count(*) > 1",
        ws,
    ).fetchall()
    f.succeeded_twice = len(twice)
    for run_id, n in twice:
        f.note(f"run {run_id} succeeded {n} times")

    f.attempts = conn.execute("select count(*) from public.run_attempts where workspace_id = %s", ws).fetchone()[0]  # type: ignore[index]
    for error_class, n in conn.execute(
        "select coalesce(error_class, '?'), count(*) from public.run_attempts "
        "where workspace_id = %s and status = 'failed' group by 1",
        ws,
    ).fetchall():
        f.retryable_failures[str(error_class)] = int(n)

    _check_artifacts(conn, s3, bucket, workspace_id, required, f)
    _check_events(conn, workspace_id, f)
    _check_audit(conn, workspace_id, f)
    return f


def _check_artifacts(
    conn: psycopg.Connection[Any], s3: S3Client, bucket: str, workspace_id: str, required: set[str], f: Findings
) -> None:
    succeeded = conn.execute(
        "select a.id::text, a.run_id::text, a.attempt_no from public.run_attempts as a "
        "where a.workspace_id = %s and a.status = 'succeeded'",
        (workspace_id,),
    ).fetchall()
    records: dict[str, list[tuple[str, str, str, int, str | None]]] = {}
    for attempt_id, phase, name, uri, sha, size, version in conn.execute(
        "select attempt_id::text, phase, name, uri, sha256, size_bytes, version_id "
        "from public.artifacts where workspace_id = %s",
        (workspace_id,),
    ).fetchall():
        records.setdefault(attempt_id, []).append((f"{phase}/{name}", uri, sha, int(size), version))
    recorded_keys = {rec[1].split("/", 3)[3] for recs in records.values() for rec in recs}
    succeeded_prefixes = {f"{workspace_id}/{run_id}/{attempt_no}/" for _, run_id, attempt_no in succeeded}
    for key in _list_keys(s3, bucket, f"{workspace_id}/"):
        if key in recorded_keys:
            continue
        f.orphan_objects += 1
        if any(key.startswith(p) for p in succeeded_prefixes):
            f.orphans_of_succeeded += 1
            f.note(f"object {key} of a succeeded attempt has no record")
    for attempt_id, run_id, attempt_no in succeeded:
        recs = records.get(attempt_id, [])
        missing = required - {r[0] for r in recs}
        if missing:
            f.artifacts_missing += len(missing)
            f.note(f"run {run_id} attempt {attempt_no} succeeded without {sorted(missing)}")
        for _, uri, sha, size, version in recs:
            f.artifacts_checked += 1
            key = uri.split("/", 3)[3]
            try:
                if version:
                    body = s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read()
                else:
                    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except (ClientError, BotoCoreError) as exc:
                f.artifacts_missing += 1
                f.note(f"{uri} cannot be read: {exc}")
                continue
            if hashlib.sha256(body).hexdigest() != sha or len(body) != size:
                f.artifacts_mismatched += 1
                f.note(f"{uri} does not match its record")


def _list_keys(s3: S3Client, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [obj["Key"] for obj in page.get("Contents", [])]
    return keys


def _check_events(conn: psycopg.Connection[Any], workspace_id: str, f: Findings) -> None:
    """Per attempt, the executor's event seqs are 1..n with none missing (a lost tail is not a gap)."""
    rows = conn.execute(
        "select attempt_id::text, max(seq), count(distinct seq) from public.run_events "
        "where workspace_id = %s and seq is not null group by attempt_id having max(seq) <> count(distinct seq)",
        (workspace_id,),
    ).fetchall()
    f.event_gaps = len(rows)
    for attempt_id, top, n in rows:
        f.note(f"attempt {attempt_id}: event seqs up to {top} but only {n} stored")


def _check_audit(conn: psycopg.Connection[Any], workspace_id: str, f: Findings) -> None:
    """Each run's transitions chain (every from_status is the previous to_status) up to its status."""
    rows = conn.execute(
        "select r.id::text, r.status, "
        "  array_agg(t.from_status order by t.id), array_agg(t.to_status order by t.id) "
        "from public.runs as r left join public.run_transitions as t on t.run_id = r.id "
        "where r.workspace_id = %s group by r.id, r.status",
        (workspace_id,),
    ).fetchall()
    for run_id, status, froms, tos in rows:
        chain_ok = bool(tos) and tos[-1] == status
        for i in range(1, len(tos)):
            if froms[i] != tos[i - 1]:
                chain_ok = False
        if not chain_ok:
            f.audit_breaks += 1
            f.note(f"run {run_id}: transitions {list(zip(froms, tos, strict=True))} do not chain to {status}")
