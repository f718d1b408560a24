"""A repair run (repair_run) skips the phases before its from_phase and reuses what they recorded,
but trusts nothing it has not re-read: every reused artifact is read back from S3 and its SHA-256
and size compared with the record before the run goes on. A mismatch or a missing object fails the
repair, deterministically (the same bytes would fail again); an unreachable store is transient.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import JsonValue

from controlroom.client.models import RepairPlan, ReusedArtifact

RESULT_NAME = "result.json"
READ_CHUNK = 1024 * 1024
_MISSING = {"NoSuchKey", "404", "NoSuchVersion", "NotFound"}


class ReuseFailed(Exception):
    """A reused artifact could not be trusted."""

    error_class = "reused_artifact_mismatch"


class ReuseStoreUnavailable(ReuseFailed):
    """The store could not be read: another attempt may succeed."""

    error_class = "artifact_store_unavailable"


@dataclass(frozen=True)
class Reuse:
    """The phases a repair skips, and for each the result it recorded (python and sql phases)."""

    from_phase: str | None = None
    skipped: tuple[str, ...] = ()
    results: dict[str, JsonValue] = field(default_factory=dict)
    artifacts: dict[str, list[ReusedArtifact]] = field(default_factory=dict)


def plan_reuse(plan: RepairPlan, phase_names: list[str], s3: Any) -> Reuse:
    """Verify every artifact the plan reuses and return what the run skips. Raises ReuseFailed."""
    if plan.kind != "repair" or plan.from_phase is None:
        return Reuse()
    if plan.from_phase not in phase_names:
        raise ReuseFailed(f"repair from phase {plan.from_phase!r}, which this spec does not have")
    skipped = tuple(phase_names[: phase_names.index(plan.from_phase)])
    results: dict[str, JsonValue] = {}
    by_phase: dict[str, list[ReusedArtifact]] = {name: [] for name in skipped}
    for item in plan.reused:
        if item.phase not in by_phase:
            continue
        body = _verified(item, s3)
        by_phase[item.phase].append(item)
        if item.name == RESULT_NAME:
            try:
                results[item.phase] = json.loads(body)
            except ValueError:
                raise ReuseFailed(f"reused {item.uri} is not JSON although its digest matches") from None
    return Reuse(plan.from_phase, skipped, results, by_phase)


def _verified(item: ReusedArtifact, s3: Any) -> bytes:
    bucket, _, key = item.uri.removeprefix("s3://").partition("/")
    args = {"Bucket": bucket, "Key": key, **({"VersionId": item.version_id} if item.version_id else {})}
    where = f"reused artifact {item.uri} (phase {item.phase}, produced by run {item.run_id})"
    try:
        response = s3.get_object(**args)
        digest, size, kept = hashlib.sha256(), 0, bytearray()
        for chunk in response["Body"].iter_chunks(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if item.name == RESULT_NAME:
                kept += chunk
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            raise ReuseFailed(f"{where} is missing from the store") from None
        raise ReuseStoreUnavailable(f"{where} could not be read: {exc}") from None
    except BotoCoreError as exc:
        raise ReuseStoreUnavailable(f"{where} could not be read: {exc}") from None
    actual = digest.hexdigest()
    if actual != item.sha256 or size != item.size_bytes:
        raise ReuseFailed(
            f"{where} does not match its record: expected sha256 {item.sha256} ({item.size_bytes} bytes), "
            f"read {actual} ({size} bytes); repair from {item.phase} or an earlier phase"
        )
    return bytes(kept)
