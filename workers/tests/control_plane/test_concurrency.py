"""Concurrency proofs of the control plane (claim, requeue, fencing) on the real database."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from .conftest import World, as_executor, connect, register_executor, stale_leases, submit_runs

CLAIMERS = 32
RUNS = 2000
# A sweep at this time finds leases taken now stale (tolerance 15 min); the real clock's does not.
STALE_AS_OF = "now() + interval '1 hour'"


def _run_threads(workers: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []

    def guard(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # surfaced to the test below
                errors.append(exc)

        return run

    threads = [threading.Thread(target=guard(w)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    if errors:
        raise errors[0]


def test_32_claimers_claim_each_of_2000_runs_exactly_once(database_url: str, make_world: Any) -> None:
    world: World = make_world()
    with connect(database_url) as conn:
        run_ids = set(submit_runs(conn, world, RUNS))
        executors = [register_executor(conn, world) for _ in range(CLAIMERS)]

    claimed: list[list[uuid.UUID]] = [[] for _ in range(CLAIMERS)]
    start = threading.Barrier(CLAIMERS)

    def claimer(i: int) -> Callable[[], None]:
        def work() -> None:
            with connect(database_url) as conn:
                start.wait()
                while True:
                    rows = as_executor(
                        conn,
                        executors[i].claims,
                        "select run_id from public.claim_runs(%s, 10)",
                        [executors[i].id],
                    )
                    if not rows:
                        return
                    claimed[i].extend(r["run_id"] for r in rows)

        return work

    _run_threads([claimer(i) for i in range(CLAIMERS)])

    every_claim = [run for per_claimer in claimed for run in per_claimer]
    twice = [run for run, n in Counter(every_claim).items() if n > 1]
    assert twice == [], f"{len(twice)} runs were handed out more than once"
    assert set(every_claim) == run_ids, "every run was claimed"
    assert sum(1 for c in claimed if c) > 1, "the claims were actually spread over several executors"
    with connect(database_url) as conn:
        row = conn.execute(
            "select count(*) filter (where r.status = 'queued') as queued, "
            "count(*) filter (where r.attempt_count = 1 and r.status = 'claimed') as claimed_once, "
            "(select count(*) from public.run_attempts as a where a.workspace_id = %s) as attempts "
            "from public.runs as r where r.workspace_id = %s",
            [world.workspace_id, world.workspace_id],
        ).fetchone()
    assert row == {"queued": 0, "claimed_once": RUNS, "attempts": RUNS}


def _stale_running_run(database_url: str, world: World) -> tuple[Any, uuid.UUID, uuid.UUID]:
    """A run claimed and started now (tolerance 15 min): its lease is stale for a sweep an hour from
    now (STALE_AS_OF), and live for the pg_cron sweep, which runs every 5 s at the real clock and
    would otherwise close it before the test's own sweep."""
    with connect(database_url) as conn:
        (run_id,) = submit_runs(conn, world, 1)
        executor = register_executor(conn, world)
        lease = as_executor(conn, executor.claims, "select lease_token from public.claim_runs(%s, 1)", [executor.id])[
            0
        ]["lease_token"]
        as_executor(conn, executor.claims, "select public.start_run(%s)", [lease])
    return executor, run_id, lease


def _run_status(database_url: str, run_id: uuid.UUID) -> dict[str, Any]:
    with connect(database_url) as conn:
        row = conn.execute(
            "select r.status, r.attempt_count, "
            "(select count(*) from public.run_transitions as t where t.run_id = r.id) as transitions "
            "from public.runs as r where r.id = %s",
            [run_id],
        ).fetchone()
    assert row is not None
    return row


def test_completion_holding_the_lease_wins_over_requeue(database_url: str, make_world: Any) -> None:
    world = make_world()
    executor, run_id, lease = _stale_running_run(database_url, world)
    with connect(database_url) as executor_conn, connect(database_url) as cron_conn:
        with executor_conn.transaction():
            executor_conn.execute(
                "select set_config('role', 'controlroom_executor', true), set_config('request.jwt.claims', %s, true)",
                [json.dumps(executor.claims)],
            )
            reply = executor_conn.execute("select public.complete_run(%s) as r", [lease]).fetchone()
            # The completion holds the attempt's lock: requeue skips it instead of waiting.
            summary = cron_conn.execute(
                f"select public.requeue_stale_runs({STALE_AS_OF}, %s) as s", [world.workspace_id]
            ).fetchone()
        assert reply is not None
        assert reply["r"]["outcome"] == "accepted"
        assert summary is not None
        assert summary["s"]["closed_attempts"] == 0
    assert _run_status(database_url, run_id) == {"status": "succeeded", "attempt_count": 1, "transitions": 4}


def test_requeue_holding_the_attempt_wins_over_completion(database_url: str, make_world: Any) -> None:
    world = make_world()
    executor, run_id, lease = _stale_running_run(database_url, world)
    replies: list[Any] = []
    with connect(database_url) as cron_conn:
        with cron_conn.transaction():
            summary = cron_conn.execute(
                f"select public.requeue_stale_runs({STALE_AS_OF}, %s) as s", [world.workspace_id]
            ).fetchone()
            assert summary is not None
            assert summary["s"]["requeued"] == 1

            def complete() -> None:
                with connect(database_url) as conn:
                    replies.append(as_executor(conn, executor.claims, "select public.complete_run(%s) as r", [lease]))

            late = threading.Thread(target=complete)
            late.start()
            time.sleep(0.5)  # let the completion block on the attempt lock the requeue holds
            assert late.is_alive(), "the completion must wait for the requeue's lock"
        late.join(timeout=30)
    (reply,) = replies[0]
    assert reply["r"]["outcome"] == "rejected"
    assert reply["r"]["code"] == "PT409"
    assert _run_status(database_url, run_id) == {"status": "queued", "attempt_count": 1, "transitions": 4}


def test_requeue_racing_completion_exactly_one_wins(database_url: str, make_world: Any) -> None:
    world = make_world()
    rounds = 20
    outcomes: Counter[str] = Counter()
    for _ in range(rounds):
        executor, run_id, lease = _stale_running_run(database_url, world)
        barrier = threading.Barrier(2)
        result: dict[str, Any] = {}

        def complete(
            executor: Any = executor, lease: uuid.UUID = lease, barrier: Any = barrier, result: dict[str, Any] = result
        ) -> None:
            with connect(database_url) as conn:
                barrier.wait()
                result["complete"] = as_executor(conn, executor.claims, "select public.complete_run(%s) as r", [lease])[
                    0
                ]["r"]

        def requeue(barrier: Any = barrier, result: dict[str, Any] = result) -> None:
            with connect(database_url) as conn:
                barrier.wait()
                result["requeue"] = conn.execute(
                    f"select public.requeue_stale_runs({STALE_AS_OF}, %s) as s", [world.workspace_id]
                ).fetchone()

        _run_threads([complete, requeue])
        state = _run_status(database_url, run_id)
        if result["complete"]["outcome"] == "accepted":
            assert state == {"status": "succeeded", "attempt_count": 1, "transitions": 4}
            outcomes["completion"] += 1
        else:
            assert result["complete"]["code"] == "PT409"
            assert state == {"status": "queued", "attempt_count": 1, "transitions": 4}
            outcomes["requeue"] += 1
    assert sum(outcomes.values()) == rounds
    print(f"race winners over {rounds} rounds: {dict(outcomes)}")


def test_two_concurrent_requeues_never_requeue_a_run_twice(database_url: str, make_world: Any) -> None:
    world = make_world()
    stale = 500
    with connect(database_url) as conn:
        submit_runs(conn, world, stale)
        executor = register_executor(conn, world)
        for _ in range(stale // 100):
            as_executor(
                conn,
                executor.claims,
                "select 1 from public.claim_runs(%s, 100)",
                [executor.id],
            )

    barrier = threading.Barrier(2)
    summaries: list[dict[str, Any]] = []

    def requeue() -> None:
        with connect(database_url) as conn:
            barrier.wait()
            row = conn.execute(
                f"select public.requeue_stale_runs({STALE_AS_OF}, %s) as s", [world.workspace_id]
            ).fetchone()
            assert row is not None
            summaries.append(row["s"])

    _run_threads([requeue, requeue])
    with connect(database_url) as conn:
        mine = conn.execute(
            "select count(*) as n from public.run_transitions as t "
            "where t.workspace_id = %s and t.actor = 'system:requeue'",
            [world.workspace_id],
        ).fetchone()
        per_run = conn.execute(
            "select max(n) as most, count(*) as runs from ("
            " select count(*) as n from public.run_attempts as a"
            " where a.workspace_id = %s and a.status = 'lost' group by a.run_id) as s",
            [world.workspace_id],
        ).fetchone()
        queued = conn.execute(
            "select count(*) as n from public.runs where workspace_id = %s and status = 'queued'",
            [world.workspace_id],
        ).fetchone()
    assert mine == {"n": stale}, "each stale run got exactly one requeue transition"
    assert per_run == {"most": 1, "runs": stale}, "each run lost exactly one attempt"
    assert queued == {"n": stale}
    # Both sweeps are scoped to this workspace and its leases are stale only at STALE_AS_OF (the
    # pg_cron sweep cannot take them): between them they requeued every run, each exactly once.
    assert sum(s["requeued"] for s in summaries) == stale


def test_zombie_late_complete_is_rejected_and_recorded(database_url: str, make_world: Any) -> None:
    world = make_world()
    with (
        connect(database_url) as zombie_conn,
        connect(database_url) as healthy_conn,
        connect(database_url) as cron_conn,
    ):
        (run_id,) = submit_runs(cron_conn, world, 1)
        zombie = register_executor(zombie_conn, world)
        healthy = register_executor(healthy_conn, world)

        zombie_lease = as_executor(
            zombie_conn,
            zombie.claims,
            "select lease_token from public.claim_runs(%s, 1, as_of => now() - interval '1 hour')",
            [zombie.id],
        )[0]["lease_token"]
        as_executor(
            zombie_conn, zombie.claims, "select public.start_run(%s, now() - interval '1 hour')", [zombie_lease]
        )
        as_executor(
            zombie_conn,
            zombie.claims,
            'select public.emit_events(%s, \'[{"type": "phase.started", "seq": 1}]\')',
            [zombie_lease],
        )

        # The zombie's lease is stale at the real clock, so the pg_cron sweep (every 5 s) may close it
        # before this call does, or hold its row while this call skips it: what matters is that one
        # of them did, exactly once.
        cron_conn.execute("select public.requeue_stale_runs(null, %s)", [world.workspace_id])
        deadline = time.monotonic() + 15
        while True:
            requeued = cron_conn.execute(
                "select r.status, (select count(*) from public.run_attempts as a"
                " where a.run_id = r.id and a.status = 'lost') as lost from public.runs as r where r.id = %s",
                [run_id],
            ).fetchone()
            if requeued == {"status": "queued", "lost": 1} or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert requeued == {"status": "queued", "lost": 1}

        lease = as_executor(
            healthy_conn,
            healthy.claims,
            "select lease_token, attempt_no from public.claim_runs(%s, 1, as_of => now() + interval '1 minute')",
            [healthy.id],
        )[0]
        assert lease["attempt_no"] == 2
        as_executor(healthy_conn, healthy.claims, "select public.start_run(%s)", [lease["lease_token"]])
        as_executor(
            healthy_conn,
            healthy.claims,
            'select public.emit_events(%s, \'[{"type": "phase.finished", "seq": 1}]\')',
            [lease["lease_token"]],
        )
        done = as_executor(
            healthy_conn, healthy.claims, "select public.complete_run(%s, '{\"rows\": 3}') as r", [lease["lease_token"]]
        )
        assert done[0]["r"]["run_status"] == "succeeded"

        def snapshot() -> tuple[Any, list[Any]]:
            run = cron_conn.execute(
                "select status, attempt_count, finished_at, status_reason from public.runs where id = %s", [run_id]
            ).fetchone()
            events = cron_conn.execute(
                "select id, type, attempt_id, payload from public.run_events where run_id = %s order by id", [run_id]
            ).fetchall()
            return run, events

        run_before, events_before = snapshot()

        with zombie_conn.transaction():
            zombie_conn.execute(
                "select set_config('role', 'controlroom_executor', true), set_config('request.jwt.claims', %s, true)",
                [json.dumps(zombie.claims)],
            )
            late = zombie_conn.execute(
                "select public.complete_run(%s, '{\"rows\": 99}') as r", [zombie_lease]
            ).fetchone()
            status = zombie_conn.execute("select current_setting('response.status') as s").fetchone()
        heartbeat = as_executor(
            zombie_conn,
            zombie.claims,
            "select directive from public.heartbeat(%s, %s::jsonb)",
            [zombie.id, f'["{zombie_lease}"]'],
        )

        run_after, events_after = snapshot()

    assert late is not None
    assert late["r"]["outcome"] == "rejected"
    assert late["r"]["code"] == "PT409"
    assert status == {"s": "409"}
    assert heartbeat == [{"directive": "lease_lost"}]
    assert run_after == run_before, "the run outcome did not change"
    assert events_after[: len(events_before)] == events_before, "no earlier event changed"
    (rejection,) = events_after[len(events_before) :]
    assert rejection["type"] == "lease.rejected"
    assert rejection["payload"]["rpc"] == "complete_run"


def test_requeue_of_10000_stale_leases_in_one_call(database_url: str, make_world: Any) -> None:
    world = make_world()
    total = 10_000
    with connect(database_url) as conn:
        # Stale only an hour from now: the pg_cron job (every 5 s, every workspace) would otherwise
        # requeue part of them before this call does.
        stale_leases(conn, world, total, claimed_ago="0 seconds")
        started = time.perf_counter()
        summary = conn.execute(
            "select public.requeue_stale_runs(now() + interval '1 hour', %s) as s", [world.workspace_id]
        ).fetchone()
        elapsed = time.perf_counter() - started
        queued = conn.execute(
            "select count(*) as n from public.runs where workspace_id = %s and status = 'queued' and attempt_count = 1",
            [world.workspace_id],
        ).fetchone()
    print(f"requeue_stale_runs closed {total} stale leases in {elapsed:.2f} s ({summary})")
    assert summary is not None
    assert summary["s"]["requeued"] >= total
    assert queued == {"n": total}
