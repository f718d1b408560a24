"""The executor's side of the control plane, over the two paths the benchmark compares.

* `DirectExecutor`: psycopg 3 on one connection, each RPC in its own transaction that first sets
  `role` and `request.jwt.claims` locally — what PostgREST (and the gateway) does per request —
  sent in pipeline mode (BEGIN, set_config, the call, COMMIT in one round trip).
* `HttpExecutor`: the typed supabase-py client (`controlroom.client.control_plane.ControlPlane`) with an
  executor JWT through the gateway on /rest/v1/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg

from controlroom import keys
from controlroom.bench.stack import StackEnv
from controlroom.client.control_plane import ControlPlane
from controlroom.client.models import Completion

PRELUDE = "select set_config('role', 'controlroom_executor', true), set_config('request.jwt.claims', %s, true)"


@dataclass(frozen=True)
class Claimed:
    run_id: str
    lease: str


class ExecutorClient(Protocol):
    executor_id: str

    def claim(self, max_runs: int, start: bool = False) -> list[Claimed]: ...
    def start(self, lease: str) -> None: ...
    def complete(self, lease: str) -> None: ...
    def complete_many(self, items: list[dict[str, Any]]) -> None: ...
    def emit(self, lease: str, events: list[dict[str, Any]]) -> int: ...
    def close(self) -> None: ...


class DirectExecutor:
    def __init__(self, stack: StackEnv, workspace_id: str, pool: str, sub: str) -> None:
        self.conn = psycopg.connect(stack.database_url, autocommit=True)
        self.claims = json.dumps({"role": keys.EXECUTOR_ROLE, "sub": sub, "pool": pool, "workspace_id": workspace_id})
        row = self._rpc("select id from public.register_executor()", ())
        self.executor_id = str(row[0][0])

    def _rpc(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        conn = self.conn
        with conn.pipeline(), conn.transaction():
            conn.execute(PRELUDE, [self.claims])
            cur = conn.execute(sql, params)
        return cur.fetchall()

    def claim(self, max_runs: int, start: bool = False) -> list[Claimed]:
        sql = "select run_id, lease_token from public.claim_runs(%s, %s, start => %s)"
        rows = self._rpc(sql, (self.executor_id, max_runs, start))
        return [Claimed(str(r[0]), str(r[1])) for r in rows]

    def _lease_rpc(self, fn: str, lease: str) -> None:
        reply = self._rpc(f"select public.{fn}(%s)", (lease,))[0][0]
        if reply.get("outcome") != "accepted":
            raise RuntimeError(f"{fn} answered {reply}")

    def start(self, lease: str) -> None:
        self._lease_rpc("start_run", lease)

    def complete(self, lease: str) -> None:
        self._lease_rpc("complete_run", lease)

    def complete_many(self, items: list[dict[str, Any]]) -> None:
        rows = self._rpc(
            "select outcome, message from public.complete_runs(%s, %s::jsonb)", (self.executor_id, json.dumps(items))
        )
        bad = [r for r in rows if r[0] != "accepted"]
        if bad:
            raise RuntimeError(f"complete_runs answered {bad[:3]}")

    def emit(self, lease: str, events: list[dict[str, Any]]) -> int:
        reply = self._rpc("select public.emit_events(%s, %s::jsonb)", (lease, json.dumps(events)))[0][0]
        if reply.get("outcome") != "accepted":
            raise RuntimeError(f"emit_events answered {reply}")
        return int(reply["accepted"])

    def close(self) -> None:
        self.conn.close()


class HttpExecutor:
    def __init__(self, stack: StackEnv, workspace_id: str, pool: str, sub: str) -> None:
        del sub  # the token carries its own random sub
        token = keys.executor_token(stack.jwt_secret, pool=pool, workspace_id=workspace_id)
        self.plane = ControlPlane.connect(stack.supabase_url, stack.anon_key, access_token=token)
        self.executor_id = str(self.plane.register_executor(pool=pool).id)

    def claim(self, max_runs: int, start: bool = False) -> list[Claimed]:
        claimed = self.plane.claim_runs(self.executor_id, max_runs, start=start)
        return [Claimed(str(c.run_id), str(c.lease_token)) for c in claimed]

    def start(self, lease: str) -> None:
        self.plane.start_run(lease)

    def complete(self, lease: str) -> None:
        self.plane.complete_run(lease)

    def complete_many(self, items: list[dict[str, Any]]) -> None:
        replies = self.plane.complete_runs(self.executor_id, [Completion.model_validate(i) for i in items])
        bad = [r for r in replies if r.outcome != "accepted"]
        if bad:
            raise RuntimeError(f"complete_runs answered {bad[:3]}")

    def emit(self, lease: str, events: list[dict[str, Any]]) -> int:
        return self.plane.emit_events(lease, events).accepted

    def close(self) -> None:
        self.plane.close()


def make_client(path: str, stack: StackEnv, workspace_id: str, pool: str, sub: str) -> ExecutorClient:
    if path == "direct":
        return DirectExecutor(stack, workspace_id, pool, sub)
    if path == "http":
        return HttpExecutor(stack, workspace_id, pool, sub)
    raise ValueError(f"unknown path {path!r}")
