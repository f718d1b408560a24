"""A schedule firing every minute submits exactly one run per fire time, driven by the real pg_cron
job, across a crash-restart of Postgres and a duplicate tick (issue 16's acceptance test).

It needs a Postgres of its own to restart, so it brings up a private stack (own state folder and
ports, like tests/stack) and takes about four minutes of wall time: pg_cron 1.4 ticks once a minute.
The tick's rules themselves (catch-up, DST, idempotency with as_of) are proven by pgTAP in
supabase/tests/database/schedules/.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from controlroom.localstack.postgres import OS_USER

pytestmark = [pytest.mark.stack, pytest.mark.xdist_group("schedule-ticks"), pytest.mark.timeout(900)]

# Below the ephemeral port range and away from tests/stack's 29400-29519.
_BASE = 29700 + 40 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0")
PORTS = {
    "CONTROLROOM_PG_PORT": str(_BASE + 22),
    "CONTROLROOM_API_PORT": str(_BASE + 21),
    "CONTROLROOM_S3_PORT": str(_BASE + 29),
    "CONTROLROOM_PAGE_PORT": str(_BASE + 23),
}
TICKS = 3  # fire times to see, one of them after the restart


def _controlroom(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("controlroom", path=str(Path(sys.executable).parent)) or shutil.which("controlroom")
    assert exe, "the controlroom console script must be installed (scripts/setup does it)"
    return subprocess.run(
        [exe, *args], env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    state = tmp_path_factory.mktemp("schedules") / "state"
    env = {k: v for k, v in os.environ.items() if k not in {"S3_ENDPOINT_URL", "DATABASE_URL"}}
    env |= PORTS | {"CONTROLROOM_STATE_DIR": str(state), "CONTROLROOM_PG_FAST": "1"}
    try:
        up = _controlroom(["up"], env)
        assert up.returncode == 0, up.stderr
        exports = _controlroom(["env"], env).stdout
        url = next(
            line.split("=", 1)[1].strip("'") for line in exports.splitlines() if line.startswith("export DATABASE_URL=")
        )
        yield state, url
    finally:
        _controlroom(["down"], env)


def _restart_postgres(state: Path) -> None:
    """A crash (immediate stop, no checkpoint) and a start, as after a power cut."""
    marker = state / "postgres.location"
    home = Path(marker.read_text().strip()) if marker.exists() else state / "postgres"
    # -l: the restarted server writes its log there, not to pg_ctl's stdout (which it would hold open).
    argv = ["/usr/lib/postgresql/15/bin/pg_ctl", "-D", str(home / "data"), "-l", str(home / "restart.log")]
    argv += ["-m", "immediate", "-w", "-t", "60", "restart"]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", OS_USER, "--", *argv]
    done = subprocess.run(
        argv, cwd="/", stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr + done.stdout


def _connect(url: str, attempts: int = 60) -> psycopg.Connection[dict[str, Any]]:
    for _ in range(attempts):
        try:
            return psycopg.connect(url, autocommit=True, row_factory=dict_row)
        except psycopg.OperationalError:
            time.sleep(1)
    return psycopg.connect(url, autocommit=True, row_factory=dict_row)


def _ticks(url: str, schedule_id: str) -> list[dict[str, Any]]:
    with _connect(url) as conn:
        return conn.execute(
            "select t.fire_at, t.outcome, t.run_id, r.idempotency_key from public.schedule_ticks as t "
            "left join public.runs as r on r.id = t.run_id where t.schedule_id = %s order by t.fire_at",
            [schedule_id],
        ).fetchall()


def _wait_for_ticks(url: str, schedule_id: str, count: int, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    ticks = _ticks(url, schedule_id)
    while len(ticks) < count and time.monotonic() < deadline:
        time.sleep(2)
        ticks = _ticks(url, schedule_id)
    return ticks


def test_every_minute_gives_one_run_per_fire_time_across_a_restart(stack: tuple[Path, str]) -> None:
    state, url = stack
    with _connect(url) as conn:
        workspace = conn.execute(
            "insert into public.workspaces (slug, name) values ('sched-e2e', 'schedules e2e') returning id"
        ).fetchone()
        assert workspace is not None
        body = {
            "name": "minutely",
            "version": "1",
            "schedules": [{"name": "tick", "cron": "* * * * *", "catchup": "all", "max_catchup": 10}],
        }
        conn.execute("select public.publish_spec(%s, 'minutely', '1', %s)", [workspace["id"], json.dumps(body)])
        schedule = conn.execute("select id from public.schedules where workspace_id = %s", [workspace["id"]]).fetchone()
        assert schedule is not None
    schedule_id = str(schedule["id"])

    before = _wait_for_ticks(url, schedule_id, 1, timeout=100)
    assert len(before) == 1, "pg_cron did not tick within 100 s"
    _restart_postgres(state)
    with _connect(url) as conn:
        # A tick that runs twice (an operator's manual call racing the job) finds nothing more to do.
        for _ in range(2):
            conn.execute("select private.fire_due_schedules(now(), 100)")
    ticks = _wait_for_ticks(url, schedule_id, TICKS, timeout=200)

    fires = [t["fire_at"] for t in ticks]
    assert len(ticks) >= TICKS, f"only {len(ticks)} ticks after the restart: {fires}"
    assert all(t["outcome"] == "submitted" for t in ticks), ticks
    # One run per fire time, and every minute from the first to the last has its run: catchup all
    # filled any minute the restart hid from pg_cron.
    assert len({t["run_id"] for t in ticks}) == len(ticks)
    assert [b - a for a, b in itertools.pairwise(fires)] == [timedelta(minutes=1)] * (len(fires) - 1)
    with _connect(url) as conn:
        runs = conn.execute(
            "select count(*) as n, count(distinct idempotency_key) as keys from public.runs where workspace_id = %s",
            [workspace["id"]],
        ).fetchone()
    assert runs is not None
    assert runs["n"] == runs["keys"] == len(_ticks(url, schedule_id))
