"""Heartbeat cost per call and per lease (docs/scaling.md): `python -m controlroom.bench.heartbeat_cost`
against DATABASE_URL (a throwaway stack: it creates a workspace per size and leaves its runs claimed).

Direct path, as the executor role, one transaction per call (as PostgREST does): for N in 1, 10, 100,
1,000 live leases held by one executor, `heartbeat(executor, [N leases])` back to back; prints p50/p95 per
call and p50 per lease as JSON, with the load average before and after.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Any

from controlroom.bench.world import as_executor, connect, executor_claims, make_world, queue_runs

SIZES = ((1, 50), (10, 50), (100, 30), (1000, 10))  # (leases, calls)


def _load() -> list[str]:
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def measure(database_url: str) -> dict[str, Any]:
    conn = connect(database_url)
    out: dict[str, Any] = {"load_before": _load()}
    for leases, calls in SIZES:
        world = make_world(conn, f"hb{leases}")
        queue_runs(conn, world, leases)
        claims = executor_claims(world)
        executor = as_executor(conn, claims, "select id from public.register_executor()")[0]["id"]
        rows = as_executor(
            conn,
            claims,
            "select (c).lease_token as l from"
            " (select public.claim_runs(%s, 100) as c from generate_series(1, %s)) as x",
            [executor, (leases + 99) // 100],
        )
        tokens = json.dumps([str(r["l"]) for r in rows][:leases])
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            beat = as_executor(
                conn, claims, "select count(*) as k from public.heartbeat(%s, %s::jsonb)", [executor, tokens]
            )
            times.append((time.perf_counter() - started) * 1000)
            assert beat[0]["k"] == leases
        times.sort()
        p50 = statistics.median(times)
        out[str(leases)] = {
            "p50_ms": round(p50, 2),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
            "per_lease_ms": round(p50 / leases, 3),
        }
    out["load_after"] = _load()
    out["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return out


if __name__ == "__main__":
    print(json.dumps(measure(os.environ["DATABASE_URL"])))
