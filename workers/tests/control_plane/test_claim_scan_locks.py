"""A claim keeps no lock on a run it passed over.

READ COMMITTED's FOR UPDATE locks the newest version of a row that changed after the statement's
snapshot and only then finds it no longer matches; Postgres keeps that lock until the transaction
ends. In a claim, that row is a run another executor claimed a moment ago: its completion then
waited for this unrelated claim to commit. The race is made deterministic: with JIT forced on, the
scan compiles its expressions after it has taken its snapshot and before it meets the run, and the
run is cancelled in that window. A plain FOR UPDATE SKIP LOCKED scan shows the lock is kept (the
control); claim_runs must not keep it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import psycopg

from .conftest import World, connect, register_executor, require_jit, submit_runs

# Every statement of the transaction is JIT-compiled: tens of milliseconds between a statement's
# snapshot and its first row.
FORCE_JIT = (
    "select set_config('jit', 'on', true), set_config('jit_above_cost', '0', true), "
    "set_config('jit_optimize_above_cost', '0', true), set_config('jit_inline_above_cost', '0', true)"
)
ATTEMPTS = 5


def _lock_is_held(conn: psycopg.Connection[dict[str, Any]], run_id: uuid.UUID) -> bool:
    try:
        with conn.transaction():
            conn.execute("select 1 from public.runs where id = %s for key share nowait", [run_id])
    except psycopg.errors.LockNotAvailable:
        return True
    return False


def _race(
    database_url: str, world: World, sql: str, params: list[Any], claims: dict[str, str] | None = None
) -> tuple[bool, bool]:
    """Run `sql` in a transaction left open, cancel a queued run once the statement has begun its scan
    of runs_claimable_idx, and answer (the race was won in the window, the run is still locked)."""
    with connect(database_url) as setup:
        (run_id,) = submit_runs(setup, world, 1)
    scanner = connect(database_url)
    other = connect(database_url)
    try:
        pid = scanner.execute("select pg_backend_pid() as pid").fetchone()["pid"]  # type: ignore[index]
        answered = threading.Event()
        release = threading.Event()
        result: dict[str, Any] = {}

        def scan() -> None:
            try:
                with scanner.transaction():
                    scanner.execute(FORCE_JIT)
                    if claims is not None:
                        scanner.execute(
                            "select set_config('role', 'controlroom_executor', true), "
                            "set_config('request.jwt.claims', %s, true)",
                            [json.dumps(claims)],
                        )
                    result["rows"] = scanner.execute(sql, params).fetchall()
                    answered.set()
                    release.wait(30)
            except BaseException as exc:  # surfaced below
                result["error"] = exc
                answered.set()

        thread = threading.Thread(target=scan)
        thread.start()
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                row = other.execute(
                    "select exists (select from pg_locks where pid = %s "
                    "and relation = 'public.runs_claimable_idx'::regclass) as scanning",
                    [pid],
                ).fetchone()
                if row is not None and row["scanning"]:
                    break
            time.sleep(0.005)  # past the statement's snapshot, well inside its compilation
            try:
                with other.transaction():
                    other.execute("set local lock_timeout = '2s'")
                    other.execute(
                        "select private.transition_run(%s, 'cancelled', 'service_role', 'raced by a test', now())",
                        [run_id],
                    )
                cancelled_first = True
            except psycopg.errors.LockNotAvailable:
                cancelled_first = False  # the scan locked the queued run before the cancel: no race
            assert answered.wait(30), "the scan never answered"
            if "error" in result:
                raise result["error"]
            in_window = cancelled_first and result["rows"] == []
            return in_window, _lock_is_held(other, run_id)
        finally:
            release.set()
            thread.join(30)
    finally:
        scanner.close()
        other.close()


def test_a_claim_keeps_no_lock_on_a_run_claimed_during_its_scan(database_url: str, make_world: Any) -> None:
    with connect(database_url) as conn:
        require_jit(conn)  # the race is made deterministic with JIT
    world: World = make_world()

    control = [
        _race(
            database_url,
            world,
            "select id from public.runs where pool = %s and status = 'queued' "
            "order by score desc, created_at, id limit 1 for update skip locked",
            [world.pool],
        )
        for _ in range(ATTEMPTS)
    ]
    assert any(in_window and held for in_window, held in control), (
        f"the race was not reproduced by a plain FOR UPDATE SKIP LOCKED scan: {control}"
    )

    with connect(database_url) as conn:
        executor = register_executor(conn, world)
    claims = [
        _race(
            database_url,
            world,
            "select run_id from public.claim_runs(%s, 1)",
            [executor.id],
            executor.claims,
        )
        for _ in range(ATTEMPTS)
    ]
    assert any(in_window for in_window, _ in claims), f"no claim met the race: {claims}"
    assert not any(held for in_window, held in claims if in_window), (
        f"a claim kept the lock of a run it did not claim: {claims}"
    )
