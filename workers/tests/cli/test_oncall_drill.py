"""The on-call drill: make the trouble for real (a failing run, a cap breach, a run stuck on labels
no executor has), then check that each on-call question is answered by ONE command whose output
contains the answer, at 80 columns, as a pipe gets it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

from controlroom.client.control_plane import ControlPlane

from .conftest import SpecFiles, invoke, publish, run_cli, wait_for_status

NARROW = {"COLUMNS": "80"}
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}


def submit(path: str) -> str:
    done = invoke("submit", path, "--json")
    assert done.exit_code == 0, done.output
    return str(json.loads(done.stdout)["id"])


def test_each_on_call_question_is_one_command(
    specs: SpecFiles, plane: ControlPlane, start_worker: Callable[..., subprocess.Popen[str]]
) -> None:
    failing = specs.write(
        "drill-fails",
        phases=[{"name": "boom", "kind": "shell", "argv": ["sh", "-c", "echo 'disk on fire: sector 7' >&2; exit 3"]}],
        retries={"max_attempts": 1},
    )
    capped = specs.write(
        "drill-cap",
        phases=[{"name": "slow", "kind": "shell", "argv": ["sleep", "30"], "caps": {"wall_seconds": 1}}],
        retries={"max_attempts": 1},
    )
    stuck = specs.write("drill-stuck", labels={"gpu": "a100"})
    for path in (failing, capped, stuck):
        publish(path)
    failed_id, capped_id = submit(str(failing)), submit(str(capped))
    worker = start_worker(specs.pool, "--once")
    assert worker.wait(timeout=120) == 0
    assert wait_for_status(plane, failed_id, TERMINAL) == "failed"
    assert wait_for_status(plane, capped_id, TERMINAL) == "failed"
    stuck_id = submit(str(stuck))

    # What failed, and why? The board, one line per run at 80 columns, the error cut with "…".
    board = run_cli("runs", "--workspace", specs.workspace, "--status", "failed", env=NARROW)
    assert board.code == 0, board.stderr
    lines = board.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), board.stdout
    assert sum(failed_id[:8] in line for line in lines) == 1
    assert sum(capped_id[:8] in line for line in lines) == 1

    # Why did it fail (phase, exit code, stderr)? `run show`.
    show = run_cli("run", "show", failed_id[:8], env=NARROW)
    assert show.code == 0, show.stderr
    assert "boom" in show.stdout
    assert "disk on fire: sector 7" in show.stdout
    assert specs.workspace in show.stdout  # the slug, not the uuid

    # Which cap? `run show` names it in plain units.
    capped_show = run_cli("run", "show", capped_id, "--json")
    phases = capped_show.json()["phases"]
    assert phases[0]["status"] == "cap_exceeded"
    assert "wall" in run_cli("run", "show", capped_id, env=NARROW).stdout

    # The full stderr, read back from S3 with its digest checked.
    logs = run_cli("logs", failed_id, "--phase", "boom", "--tail", "5")
    assert logs.code == 0, logs.stderr
    assert "disk on fire: sector 7" in logs.stdout

    # What is stuck, and why? `queue` names the head and its wait reason.
    queue = run_cli("queue", env=NARROW)
    assert queue.code == 0, queue.stderr
    head_line = next(line for line in queue.stdout.splitlines() if line.startswith(f"{specs.pool}:"))
    assert stuck_id[:8] in head_line
    assert "no live executor in pool" in head_line
    show_stuck = run_cli("run", "show", stuck_id, "--json").json()
    assert "no live executor in pool" in show_stuck["wait_reason"]

    # How much did each workspace use today?
    usage = run_cli("usage", "--since", "1", "--json").json()
    assert any(row["workspace"] == specs.workspace and row["run_seconds"] > 0 for row in usage)

    # Which executors are there, with what health?
    executors = run_cli("executors", "--json").json()
    assert any(row["pool"] == specs.pool for row in executors)


def test_a_misspelled_status_is_an_error_with_a_suggestion_not_an_empty_table() -> None:
    done = run_cli("runs", "--status", "faild")
    assert done.code == 2
    assert "did you mean 'failed'" in done.stderr
    as_json = run_cli("runs", "--status", "failed,faild", "--json")
    assert as_json.code == 2
    assert "faild" in json.loads(as_json.stderr)["error"]["message"]
