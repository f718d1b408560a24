"""The control plane over HTTP: one typed method per RPC. The only module that knows RPC names.

Executors authenticate with the project's anon key as `apikey` and their executor JWT as the
bearer; people and services with a user access token or the service-role key. The same code
talks to the local stack and to a Supabase project.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from controlroom.client.boundedjson import Undecodable
from controlroom.client.errors import ConfigurationError, InvalidReply
from controlroom.client.models import (
    Artifact,
    ArtifactExpiry,
    ArtifactExpiryClaims,
    ArtifactExpiryReply,
    ArtifactExpiryResult,
    ArtifactReply,
    ClaimedRun,
    ClaimReply,
    Completion,
    CompletionReply,
    EventsReply,
    ExecutorRecord,
    HeartbeatReply,
    InvalidClaim,
    LeaseReply,
    PublishedSpec,
    RepairPlan,
    Run,
    RunAttempt,
    RunBoardRow,
    RunEvent,
    RunLineage,
    RunTransition,
    ScheduleBoardRow,
    ScheduleRow,
    ScoreFactor,
    SubmitReply,
    UsageRow,
    WaitReason,
    Workspace,
)
from controlroom.client.transport import RetryPolicy, Transport

_beats = TypeAdapter(list[HeartbeatReply])
_completions = TypeAdapter(list[CompletionReply])
_workspaces = TypeAdapter(list[Workspace])
_specs = TypeAdapter(list[PublishedSpec])
_board = TypeAdapter(list[RunBoardRow])
_attempts = TypeAdapter(list[RunAttempt])
_transitions = TypeAdapter(list[RunTransition])
_waits = TypeAdapter(list[WaitReason])
_usage = TypeAdapter(list[UsageRow])
_factors = TypeAdapter(list[ScoreFactor])
_schedules = TypeAdapter(list[ScheduleBoardRow])
_submits = TypeAdapter(list[SubmitReply])
_lineage = TypeAdapter(list[RunLineage])

SUBMIT_BATCH_MAX = 1000  # submit_runs' bound (PT413 above it)
_events = TypeAdapter(list[RunEvent])
_artifacts = TypeAdapter(list[Artifact])
_expiries = TypeAdapter(list[ArtifactExpiry])
_expiry_replies = TypeAdapter(list[ArtifactExpiryReply])

# Columns read from run_attempts: everything a person may see, never the lease token.
ATTEMPT_COLUMNS = (
    "id,run_id,attempt_no,executor_id,status,claimed_at,started_at,heartbeat_at,finished_at,"
    "error_class,error_message,retryable"
)


# Rows per read of artifact_pages: the API's row cap on Supabase and the local stack (max_rows), so a
# page is one full read; a smaller cap only makes the pages shorter.
ARTIFACT_PAGE_SIZE = 1000


def search_pattern(text: str) -> str:
    """The board search as an ILIKE fragment: lower-cased (search_text is), ILIKE's own wildcards
    and escape character escaped so they match themselves, and `*` (PostgREST's wildcard, which
    cannot be escaped) dropped."""
    text = text.strip().lower().replace("*", "")
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _id(value: UUID | str) -> str:
    return str(value)


class ControlPlane:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @classmethod
    def connect(
        cls,
        url: str | None = None,
        api_key: str | None = None,
        *,
        access_token: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> ControlPlane:
        """From arguments, else SUPABASE_URL / SUPABASE_ANON_KEY (and CONTROLROOM_TOKEN as the bearer)."""
        url = url or os.environ.get("SUPABASE_URL")
        api_key = api_key or os.environ.get("SUPABASE_ANON_KEY")
        access_token = access_token or os.environ.get("CONTROLROOM_TOKEN") or None
        if not url:
            raise ConfigurationError(
                'SUPABASE_URL is not set. Export the project URL (or `eval "$(controlroom env)"` locally).'
            )
        if not api_key:
            raise ConfigurationError("SUPABASE_ANON_KEY is not set. Export the project's anon key.")
        return cls(Transport(url, api_key, access_token=access_token, retry=retry, timeout=timeout))

    def close(self) -> None:
        self.transport.close()

    def _call(
        self,
        name: str,
        params: dict[str, Any],
        *,
        idempotent: bool,
        nulls: tuple[str, ...] = (),
        per_item: bool = False,
    ) -> Any:
        """None means "use the SQL default" and is left out, except for the `nulls` parameters, which
        have no default and for which NULL is a value (left out, PostgREST would find no function)."""
        sent = {k: v for k, v in params.items() if v is not None or k in nulls}
        return self.transport.rpc(name, sent, idempotent=idempotent, per_item=per_item)

    # -- executors --------------------------------------------------------------------------------
    def register_executor(
        self,
        *,
        pool: str | None = None,
        labels: dict[str, str] | None = None,
        version: str | None = None,
        host: str | None = None,
        heartbeat_seconds: float | None = None,
    ) -> ExecutorRecord:
        """heartbeat_seconds: the period within which this executor promises to call heartbeat or
        claim_runs (default 10 s on the server); executor_health judges its silence against it."""
        data = self._call(
            "register_executor",
            {
                "pool": pool,
                "labels": labels or {},
                "version": version,
                "host": host,
                "heartbeat_seconds": heartbeat_seconds,
            },
            idempotent=False,
        )
        return ExecutorRecord.model_validate(data)

    def report_executor_status(self, executor_id: UUID | str, status: str) -> ExecutorRecord:
        """draining (told to stop: finishes what it holds) or stopped (exited cleanly). One attempt,
        no retries: it is said on the way out, and silence is judged anyway."""
        data = self._call(
            "report_executor_status", {"executor_id": _id(executor_id), "status": status}, idempotent=False
        )
        return ExecutorRecord.model_validate(data)

    def claim_runs(
        self,
        executor_id: UUID | str,
        max_runs: int = 1,
        *,
        pool: str | None = None,
        labels: dict[str, str] | None = None,
        start: bool = False,
    ) -> list[ClaimedRun]:
        """Claims up to max_runs; with start=True they are also started (no start_run per run).

        Raises InvalidReply if an item of the reply cannot be decoded; `claim` reports those
        items instead, so that the caller can fail them and run the others."""
        reply = self.claim(executor_id, max_runs, pool=pool, labels=labels, start=start)
        if reply.invalid:
            raise InvalidReply(f"{len(reply.invalid)} claimed run(s) cannot be decoded: {reply.invalid[0].reason}")
        return reply.runs

    def claim(
        self,
        executor_id: UUID | str,
        max_runs: int = 1,
        *,
        pool: str | None = None,
        labels: dict[str, str] | None = None,
        start: bool = False,
    ) -> ClaimReply:
        """claim_runs, decoded item by item: runs whose payload cannot be decoded or validated (a
        tenant's params nested too deep, say) come back in `invalid`, next to the good ones."""
        params: dict[str, Any] = {"executor_id": _id(executor_id), "max_runs": max_runs, "pool": pool, "labels": labels}
        if start:
            params["start"] = True
        # Not retried once sent: a lost reply leaves leases that requeue_stale_runs recovers.
        data = self._call("claim_runs", params, idempotent=False, per_item=True)
        if not isinstance(data, list):
            raise InvalidReply(f"claim_runs answered {type(data).__name__}, not an array")
        runs: list[ClaimedRun] = []
        invalid: list[InvalidClaim] = []
        for item in data:
            if isinstance(item, Undecodable):
                invalid.append(InvalidClaim.from_fields(item.fields, item.reason))
                continue
            try:
                runs.append(ClaimedRun.model_validate(item))
            except ValidationError as exc:
                fields = item if isinstance(item, dict) else {}
                reason = f"claimed run does not match the ClaimedRun shape: {exc.errors()[0]['msg']}"
                invalid.append(InvalidClaim.from_fields(fields, reason))
        return ClaimReply(runs=runs, invalid=invalid)

    def heartbeat(self, executor_id: UUID | str, leases: list[UUID | str]) -> list[HeartbeatReply]:
        data = self._call(
            "heartbeat", {"executor_id": _id(executor_id), "leases": [_id(x) for x in leases]}, idempotent=True
        )
        return _beats.validate_python(data or [])

    def start_run(self, lease: UUID | str) -> LeaseReply:
        return LeaseReply.model_validate(self._call("start_run", {"lease": _id(lease)}, idempotent=True))

    def complete_run(self, lease: UUID | str, result: dict[str, Any] | None = None) -> LeaseReply:
        data = self._call("complete_run", {"lease": _id(lease), "result": result}, idempotent=True)
        return LeaseReply.model_validate(data)

    def complete_runs(self, executor_id: UUID | str, items: list[Completion]) -> list[CompletionReply]:
        """Completes many attempts in one transaction; one reply per item, in order.

        Safe to re-send: items already completed answer `duplicate` and their events are not stored twice.
        """
        payload = [item.model_dump(mode="json", exclude_none=True) for item in items]
        data = self._call("complete_runs", {"executor_id": _id(executor_id), "items": payload}, idempotent=True)
        return _completions.validate_python(data or [])

    def fail_run(
        self,
        lease: UUID | str,
        *,
        retryable: bool,
        error_class: str,
        message: str | None = None,
        failure_kind: str | None = None,
        phase: str | None = None,
    ) -> LeaseReply:
        """Reports a failed attempt. With `failure_kind` (deterministic | transient) the control plane
        decides whether to retry, by the kind and the failed `phase`'s retry_on; without it, by `retryable`."""
        args: dict[str, Any] = {"lease": _id(lease), "retryable": retryable, "error_class": error_class}
        args["message"] = message
        if failure_kind is not None:
            args["failure_kind"] = failure_kind
            args["phase"] = phase
        data = self._call("fail_run", args, idempotent=True)
        return LeaseReply.model_validate(data)

    def confirm_cancel(self, lease: UUID | str, message: str | None = None) -> LeaseReply:
        data = self._call("confirm_cancel", {"lease": _id(lease), "message": message}, idempotent=True)
        return LeaseReply.model_validate(data)

    def emit_events(self, lease: UUID | str, events: list[dict[str, Any]]) -> EventsReply:
        # Idempotent because every event carries its per-attempt seq; re-sent ones are skipped.
        data = self._call("emit_events", {"lease": _id(lease), "events": events}, idempotent=True)
        return EventsReply.model_validate(data)

    def register_artifact(
        self,
        lease: UUID | str,
        *,
        phase: str,
        name: str,
        uri: str,
        sha256: str,
        size_bytes: int,
        content_type: str = "application/octet-stream",
        lineage: dict[str, Any] | None = None,
        version_id: str | None = None,
        etag: str | None = None,
    ) -> ArtifactReply:
        args: dict[str, Any] = {
            "lease": _id(lease),
            "phase": phase,
            "name": name,
            "uri": uri,
            "sha256": sha256,
            "size_bytes": size_bytes,
            "content_type": content_type,
            "lineage": lineage or {},
        }
        # Sent only when known, so the call stays valid against a control plane without the columns.
        if version_id is not None:
            args["version_id"] = version_id
        if etag is not None:
            args["etag"] = etag
        data = self._call("register_artifact", args, idempotent=True)
        return ArtifactReply.model_validate(data)

    # -- people and services ---------------------------------------------------------------------
    def create_workspace(self, slug: str, name: str | None = None, owner_id: UUID | str | None = None) -> Workspace:
        data = self._call(
            "create_workspace",
            {"slug": slug, "name": name, "owner_id": _id(owner_id) if owner_id else None},
            idempotent=False,
        )
        return Workspace.model_validate(data)

    def add_workspace_member(self, workspace_id: UUID | str, user_id: UUID | str, role: str) -> dict[str, Any]:
        data = self._call(
            "add_workspace_member",
            {"workspace_id": _id(workspace_id), "user_id": _id(user_id), "role": role},
            idempotent=False,
        )
        return dict(data)

    def publish_spec(self, workspace_id: UUID | str, name: str, version: str, body: dict[str, Any]) -> PublishedSpec:
        # Idempotent by design: the same body under the same version is a no-op.
        data = self._call(
            "publish_spec",
            {"workspace_id": _id(workspace_id), "name": name, "version": version, "body": body},
            idempotent=True,
        )
        return PublishedSpec.model_validate(data)

    def submit_run(
        self,
        workspace_id: UUID | str,
        *,
        spec_name: str | None = None,
        spec_version: str | None = None,
        spec_hash: str | None = None,
        params: dict[str, Any] | None = None,
        priority: int = 0,
        idempotency_key: str | None = None,
        due_by: datetime | None = None,
    ) -> Run:
        """`due_by` (optional) raises the run's score as it nears (the deadline factor)."""
        data = self._call(
            "submit_run",
            {
                "workspace_id": _id(workspace_id),
                "spec_name": spec_name,
                "spec_version": spec_version,
                "spec_hash": spec_hash,
                "params": params or {},
                "priority": priority,
                "idempotency_key": idempotency_key,
                "due_by": due_by.isoformat() if due_by is not None else None,
            },
            idempotent=idempotency_key is not None,
        )
        return Run.model_validate(data)

    def submit_runs(self, workspace_id: UUID | str, items: list[dict[str, Any]]) -> list[SubmitReply]:
        """Queues up to 1000 runs in one call; one answer per item, in order. Items are
        {spec_name | spec_hash, spec_version, params, priority, idempotency_key, due_by}. Re-sent only
        when every item has an idempotency key (then a retry answers `duplicate`)."""
        if len(items) > SUBMIT_BATCH_MAX:
            raise ValueError(f"at most {SUBMIT_BATCH_MAX} items per submit_runs call, got {len(items)}")
        data = self._call(
            "submit_runs",
            {"workspace_id": _id(workspace_id), "items": items},
            idempotent=all(item.get("idempotency_key") for item in items),
        )
        return _submits.validate_python(data)

    def cancel_run(self, run_id: UUID | str, reason: str | None = None) -> Run:
        data = self._call("cancel_run", {"run_id": _id(run_id), "reason": reason}, idempotent=True)
        return Run.model_validate(data)

    def pause_schedule(self, workspace_id: UUID | str, name: str, spec_name: str | None = None) -> ScheduleRow:
        """Ticks skip the schedule until resumed; spec_name may be left out when the name is unique."""
        data = self._call(
            "pause_schedule",
            {"workspace_id": _id(workspace_id), "name": name, "spec_name": spec_name},
            idempotent=True,
        )
        return ScheduleRow.model_validate(data)

    def resume_schedule(self, workspace_id: UUID | str, name: str, spec_name: str | None = None) -> ScheduleRow:
        """It fires next at its first fire time from now; the paused fire times are not caught up."""
        data = self._call(
            "resume_schedule",
            {"workspace_id": _id(workspace_id), "name": name, "spec_name": spec_name},
            idempotent=True,
        )
        return ScheduleRow.model_validate(data)

    def rerun_run(self, run_id: UUID | str, idempotency_key: str | None = None) -> Run:
        """A new run of the same spec version, params and priority, linked to run_id (run_lineage)."""
        data = self._call(
            "rerun_run",
            {"run_id": _id(run_id), "idempotency_key": idempotency_key},
            idempotent=idempotency_key is not None,
        )
        return Run.model_validate(data)

    def repair_run(self, run_id: UUID | str, from_phase: str | None = None, idempotency_key: str | None = None) -> Run:
        """A new run that re-executes run_id from `from_phase` (default: where it ended), reusing the
        recorded outputs of the phases before it."""
        data = self._call(
            "repair_run",
            {"run_id": _id(run_id), "from_phase": from_phase, "idempotency_key": idempotency_key},
            idempotent=idempotency_key is not None,
        )
        return Run.model_validate(data)

    def repair_plan(self, lease: UUID | str) -> RepairPlan:
        """For the executor: how its leased run was made, and for a repair what to verify and reuse."""
        return RepairPlan.model_validate(self._call("repair_plan", {"lease": _id(lease)}, idempotent=True))

    def run_lineage(self, run_id: UUID | str) -> tuple[RunLineage | None, list[RunLineage]]:
        """The run's own lineage row (its parent), and the rows of its children, oldest first."""
        mine = _lineage.validate_python(self.select("run_lineage", filters={"run_id": f"eq.{_id(run_id)}"}))
        children = _lineage.validate_python(
            self.select("run_lineage", filters={"parent_run_id": f"eq.{_id(run_id)}"}, order="created_at")
        )
        return (mine[0] if mine else None), children

    def explain_wait(self, run_id: UUID | str) -> list[WaitReason]:
        """Why a queued run is not being claimed, most specific reason first."""
        data = self._call("explain_wait", {"run_id": _id(run_id)}, idempotent=True)
        return sorted(_waits.validate_python(data), key=lambda w: w.rank)

    def workspace_usage(
        self, since: datetime | None = None, until: datetime | None = None, workspace_id: UUID | str | None = None
    ) -> list[UsageRow]:
        """Run-seconds per workspace, budget day and pool (public.workspace_usage; RLS applies)."""
        data = self._call(
            "workspace_usage",
            {
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
                "workspace_id": _id(workspace_id) if workspace_id else None,
            },
            idempotent=True,
        )
        return _usage.validate_python(data)

    def explain_score(self, run_id: UUID | str) -> list[ScoreFactor]:
        """Every factor of a run's score (raw, normalised, weight, contribution), then total and stored."""
        return _factors.validate_python(self._call("explain_score", {"run_id": _id(run_id)}, idempotent=True))

    def requeue_stale_runs(self) -> dict[str, Any]:
        return dict(self._call("requeue_stale_runs", {}, idempotent=True))

    def record_artifact_verification(
        self, artifact_id: UUID | str, *, ok: bool, actual_sha256: str | None, actual_size: int | None
    ) -> dict[str, Any]:
        data = self._call(
            "record_artifact_verification",
            {"artifact_id": _id(artifact_id), "ok": ok, "actual_sha256": actual_sha256, "actual_size": actual_size},
            idempotent=True,
            nulls=("actual_sha256", "actual_size"),
        )
        return dict(data)

    # -- retention (issue 16): artifact objects are deleted by the holder of a claim ---------------
    def claim_artifact_expiries(
        self,
        claimer: str,
        max_artifacts: int = 100,
        lease_seconds: int = 300,
        *,
        workspace_id: UUID | str | None = None,
        as_of: datetime | None = None,
    ) -> ArtifactExpiryClaims:
        """Service role: queue what the policies made due and lease up to max_artifacts of it. Never
        re-sent by the client (a lost reply only holds the leases until they run out)."""
        params = {
            "claimer": claimer,
            "max_artifacts": max_artifacts,
            "lease_seconds": lease_seconds,
            "workspace_id": _id(workspace_id) if workspace_id is not None else None,
            "as_of": as_of.isoformat() if as_of else None,
        }
        return ArtifactExpiryClaims.model_validate(self._call("claim_artifact_expiries", params, idempotent=False))

    def confirm_artifact_expiries(
        self, results: list[ArtifactExpiryResult], *, as_of: datetime | None = None
    ) -> list[ArtifactExpiryReply]:
        """Record what became of each claimed object; safe to repeat (a repeat answers duplicate)."""
        params = {
            "results": [r.model_dump(mode="json", exclude_none=True) for r in results],
            "as_of": as_of.isoformat() if as_of else None,
        }
        data = self._call("confirm_artifact_expiries", params, idempotent=True)
        return _expiry_replies.validate_python(data["results"])

    def set_retention_policy(
        self,
        workspace_id: UUID | str,
        *,
        events_after_days: int | None = None,
        runs_after_days: int | None = None,
        artifacts_after_days: int | None = None,
        verifications_after_days: int | None = None,
    ) -> dict[str, Any]:
        """Replace the workspace's policy (None keeps that kind of history forever)."""
        params = {
            "workspace_id": _id(workspace_id),
            "events_after_days": events_after_days,
            "runs_after_days": runs_after_days,
            "artifacts_after_days": artifacts_after_days,
            "verifications_after_days": verifications_after_days,
        }
        return dict(self._call("set_retention_policy", params, idempotent=True))

    def artifact_expiries(self, artifact_ids: list[UUID]) -> dict[UUID, ArtifactExpiry]:
        """The expiry records of these artifacts (those retention deleted), by artifact id."""
        found: dict[UUID, ArtifactExpiry] = {}
        for start in range(0, len(artifact_ids), 100):  # the ids go into the URL: keep it short
            chunk = ",".join(str(i) for i in artifact_ids[start : start + 100])
            rows = self.select("artifact_expiries", filters={"artifact_id": f"in.({chunk})"})
            found.update({row.artifact_id: row for row in _expiries.validate_python(rows)})
        return found

    # -- alerting (issue 14): routing documents, silences, alert state -----------------------------
    def publish_routes(self, workspace_id: UUID | str, body: dict[str, Any]) -> dict[str, Any]:
        """{outcome: published|unchanged, version, routes_hash, route_version_id, published_at}."""
        params = {"workspace_id": _id(workspace_id), "body": body}
        return dict(self._call("publish_routes", params, idempotent=True))

    def test_routes(
        self, workspace_id: UUID | str, signal: dict[str, Any], body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Which routes a signal matches, its group, tier and targets; body None = the published version."""
        params = {"workspace_id": _id(workspace_id), "signal": signal, "body": body}
        return dict(self._call("test_routes", params, idempotent=True))

    def add_silence(
        self, workspace_id: UUID | str, matchers: dict[str, Any], ends_at: datetime, comment: str
    ) -> dict[str, Any]:
        params = {
            "workspace_id": _id(workspace_id),
            "matchers": matchers,
            "ends_at": ends_at.isoformat(),
            "comment": comment,
        }
        return dict(self._call("add_silence", params, idempotent=False))

    def expire_silence(self, silence_id: UUID | str) -> dict[str, Any]:
        return dict(self._call("expire_silence", {"silence_id": _id(silence_id)}, idempotent=True))

    def acknowledge_alert(self, alert_id: UUID | str, note: str | None = None) -> dict[str, Any]:
        return dict(self._call("acknowledge_alert", {"alert_id": _id(alert_id), "note": note}, idempotent=True))

    def resolve_alert(self, alert_id: UUID | str, note: str | None = None) -> dict[str, Any]:
        return dict(self._call("resolve_alert", {"alert_id": _id(alert_id), "note": note}, idempotent=True))

    def explain_alert_score(self, alert_id: UUID | str) -> list[dict[str, Any]]:
        return list(self._call("explain_alert_score", {"alert_id": _id(alert_id)}, idempotent=True))

    # -- reads (RLS decides what the caller sees) -----------------------------------------------
    def select(
        self,
        table: str,
        *,
        columns: str = "*",
        filters: dict[str, str] | None = None,
        order: str | None = None,
        desc: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        return self.transport.select(
            table, columns=columns, filters=filters or {}, order=order, desc=desc, limit=limit, offset=offset
        )

    def count(self, table: str, *, filters: dict[str, str] | None = None) -> int:
        """How many rows of a table or view the caller sees (an exact count, no rows sent)."""
        return self.transport.count(table, filters=filters or {})

    def workspace_by_slug(self, slug: str) -> Workspace | None:
        rows = self.select("workspaces", columns="id,slug,name", filters={"slug": f"eq.{slug}"}, limit=1)
        return _workspaces.validate_python(rows)[0] if rows else None

    def published_specs(self, workspace_id: UUID | str, name: str, version: str | None = None) -> list[PublishedSpec]:
        """Published versions of a spec (one when `version` is given), oldest publication first."""
        filters = {"workspace_id": f"eq.{_id(workspace_id)}", "name": f"eq.{name}"}
        if version is not None:
            filters["version"] = f"eq.{version}"
        rows = self.select(
            "pipeline_specs",
            columns="id,workspace_id,name,version,spec_hash,body,published_at",
            filters=filters,
            order="published_at",
        )
        return _specs.validate_python(rows)

    def run_board(
        self,
        *,
        workspace_id: UUID | str | None = None,
        status: str | None = None,
        run_id: UUID | str | None = None,
        limit: int | None = None,
        statuses: list[str] | None = None,
        spec_name: str | None = None,
        pool: str | None = None,
        since: datetime | None = None,
        executor_id: UUID | str | None = None,
        search: str | None = None,
        offset: int = 0,
        oldest_first: bool = False,
    ) -> list[RunBoardRow]:
        """Rows of the run board, newest first (or oldest first), filtered; `search` matches the
        board's search_text (id, spec, status, pool, reason, last error) server-side."""
        filters: dict[str, str] = {}
        if workspace_id is not None:
            filters["workspace_id"] = f"eq.{_id(workspace_id)}"
        if status is not None:
            filters["status"] = f"eq.{status}"
        if statuses:
            filters["status"] = f"in.({','.join(statuses)})"
        if run_id is not None:
            filters["run_id"] = f"eq.{_id(run_id)}"
        if spec_name is not None:
            filters["spec_name"] = f"eq.{spec_name}"
        if pool is not None:
            filters["pool"] = f"eq.{pool}"
        if since is not None:
            filters["created_at"] = f"gte.{since.isoformat()}"
        if executor_id is not None:
            filters["executor_id"] = f"eq.{_id(executor_id)}"
        if search and search.strip():
            filters["search_text"] = f"ilike.*{search_pattern(search)}*"
        rows = self.select(
            "run_board", filters=filters, order="created_at", desc=not oldest_first, limit=limit, offset=offset
        )
        return _board.validate_python(rows)

    def schedule_board(self, *, workspace_id: UUID | str | None = None) -> list[ScheduleBoardRow]:
        """Every visible schedule with its next fire time and last tick, by spec and name."""
        filters = {"workspace_id": f"eq.{_id(workspace_id)}"} if workspace_id is not None else {}
        rows = self.select("schedule_board", filters=filters, order="spec_name")
        return sorted(_schedules.validate_python(rows), key=lambda r: (str(r.workspace_id), r.spec_name, r.name))

    def recent_run_ids(self, limit: int, *, workspace_id: UUID | str | None = None) -> list[UUID]:
        """Ids of the newest visible runs (to resolve the short ids people copy from tables)."""
        filters = {"workspace_id": f"eq.{_id(workspace_id)}"} if workspace_id is not None else {}
        rows = self.select("run_board", columns="run_id", filters=filters, order="created_at", desc=True, limit=limit)
        return [UUID(str(row["run_id"])) for row in rows]

    def run_attempts(self, run_id: UUID | str) -> list[RunAttempt]:
        rows = self.select(
            "run_attempts", columns=ATTEMPT_COLUMNS, filters={"run_id": f"eq.{_id(run_id)}"}, order="attempt_no"
        )
        return _attempts.validate_python(rows)

    def run_transitions(self, run_id: UUID | str) -> list[RunTransition]:
        rows = self.select("run_transitions", filters={"run_id": f"eq.{_id(run_id)}"}, order="id")
        return _transitions.validate_python(rows)

    def run_events(self, run_id: UUID | str, *, after_id: int | None = None) -> list[RunEvent]:
        """Events of a run in the order they were stored; `after_id` reads only newer ones."""
        filters = {"run_id": f"eq.{_id(run_id)}"}
        if after_id is not None:
            filters["id"] = f"gt.{after_id}"
        return _events.validate_python(self.select("run_events", filters=filters, order="id"))

    def artifacts(self, *, run_id: UUID | str | None = None, workspace_id: UUID | str | None = None) -> list[Artifact]:
        """Artifact records of a run, of a workspace, or (neither) every visible one; oldest first. All of
        them: read page by page (artifact_pages), however many the API's row cap would cut off."""
        rows = [row for page in self.artifact_pages(run_id=run_id, workspace_id=workspace_id) for row in page]
        return sorted(rows, key=lambda row: (row.created_at, str(row.id)))

    def artifact_pages(
        self,
        *,
        run_id: UUID | str | None = None,
        workspace_id: UUID | str | None = None,
        page_size: int = ARTIFACT_PAGE_SIZE,
    ) -> Iterator[list[Artifact]]:
        """Every artifact record of a run, of a workspace, or (neither) every visible one, in pages in id order.

        Keyset paging: each page asks for the ids after the last one of the page before, so no record is
        skipped or read twice however many there are, and records registered meanwhile are read if their id
        comes later. A page can be shorter than asked (the API caps rows per read, 1,000 on Supabase), so
        only an empty page ends the reading.
        """
        filters = _artifact_filters(run_id, workspace_id)
        while True:
            page = _artifacts.validate_python(self.select("artifacts", filters=filters, order="id", limit=page_size))
            if not page:
                return
            yield page
            filters = {**filters, "id": f"gt.{page[-1].id}"}

    def count_artifacts(self, *, run_id: UUID | str | None = None, workspace_id: UUID | str | None = None) -> int:
        """How many artifact records artifact_pages would read now (new ones may be registered meanwhile)."""
        return self.transport.count("artifacts", filters=_artifact_filters(run_id, workspace_id))


def _artifact_filters(run_id: UUID | str | None, workspace_id: UUID | str | None) -> dict[str, str]:
    filters: dict[str, str] = {}
    if run_id is not None:
        filters["run_id"] = f"eq.{_id(run_id)}"
    if workspace_id is not None:
        filters["workspace_id"] = f"eq.{_id(workspace_id)}"
    return filters
