"""`controlroom retention apply`: carry out the artifact-object expiries the control plane decided.

The database decides (the workspaces' artifacts_after_days) and records; this loop only does the
S3 I/O in between, in bounded batches: claim_artifact_expiries leases up to `batch` due artifacts,
each recorded version is deleted (artifacts/expiry.py), and confirm_artifact_expiries records what
happened. It holds no state: killed at any point, the leases run out and the next run deletes the
same versions again (an idempotent delete, recorded as deleted or already_gone).

Who runs it: an operator's schedule (cron, a Kubernetes CronJob, or `--every`) with the service-role
key and S3 credentials that may delete object versions. Not the executors: they hold an executor
token that may not decide what to delete, and their S3 credentials are vended per run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from controlroom.artifacts.expiry import delete_recorded_version
from controlroom.client.control_plane import ControlPlane
from controlroom.client.models import ArtifactExpiryClaim, ArtifactExpiryResult

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("controlroom.retention")


@dataclass
class ExpiryTally:
    """What one apply did, summed over its batches."""

    batches: int = 0
    claimed: int = 0
    deleted: int = 0
    already_gone: int = 0
    locked: int = 0
    failed: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)  # the first few failures, for the operator

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _delete(client: S3Client, claim: ArtifactExpiryClaim) -> ArtifactExpiryResult:
    done = delete_recorded_version(client, claim.uri, claim.version_id)
    return ArtifactExpiryResult(
        artifact_id=claim.artifact_id,
        lease_token=claim.lease_token,
        outcome=done.outcome,
        retain_until=done.retain_until,
        error=done.error[:2000] if done.error else None,
    )


def expire_artifacts(
    plane: ControlPlane,
    s3: S3Client,
    claimer: str,
    *,
    batch: int = 100,
    lease_seconds: int = 300,
    max_batches: int | None = None,
    workspace_id: UUID | str | None = None,
    as_of: datetime | None = None,
    on_batch: Callable[[ExpiryTally], None] | None = None,
) -> ExpiryTally:
    """Claim, delete, confirm until nothing is due (or max_batches); workspace_id: only that one.
    Deferred artifacts (locked, failed) come back only at their retry time, so the loop ends."""
    tally = ExpiryTally()
    while max_batches is None or tally.batches < max_batches:
        claims = plane.claim_artifact_expiries(claimer, batch, lease_seconds, workspace_id=workspace_id, as_of=as_of)
        if not claims.expiries:
            break
        results = [_delete(s3, claim) for claim in claims.expiries]
        replies = plane.confirm_artifact_expiries(results, as_of=as_of)
        tally.batches += 1
        tally.claimed += len(results)
        by_id = {r.artifact_id: r for r in results}
        for reply in replies:
            result = by_id[reply.artifact_id]
            if reply.outcome == "rejected":
                # Another claim took it after our lease ran out; that one deletes and records it.
                tally.rejected += 1
                log.warning("expiry rejected: artifact %s: %s", reply.artifact_id, reply.message)
                continue
            if result.outcome == "deleted":
                tally.deleted += 1
            elif result.outcome == "already_gone":
                tally.already_gone += 1
            elif result.outcome == "locked":
                tally.locked += 1
            else:
                tally.failed += 1
                if len(tally.errors) < 10:
                    tally.errors.append(f"{reply.artifact_id}: {result.error}")
        if on_batch is not None:
            on_batch(tally)
    return tally
