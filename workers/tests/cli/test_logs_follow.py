"""`controlroom logs RUN --follow`: started before the run, it prints each phase's log as the phase
ends (digest checked) and returns when the run ends."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable

from tests.cli.conftest import EXE, SpecFiles, invoke, publish


def test_logs_follow_waits_for_the_run_and_prints_each_phase_as_it_ends(
    specs: SpecFiles, start_worker: Callable[..., subprocess.Popen[str]]
) -> None:
    path = specs.write(
        "two-steps",
        phases=[
            {"name": "first", "kind": "shell", "argv": ["sh", "-c", "echo one-from-first; sleep 2"]},
            {"name": "second", "kind": "shell", "argv": ["echo", "two-from-second"]},
        ],
    )
    publish(path)
    submitted = invoke("submit", str(path), "--json")
    assert submitted.exit_code == 0, submitted.output
    run_id = json.loads(submitted.stdout)["id"]
    assert EXE
    follower = subprocess.Popen(
        [EXE, "logs", run_id, "--follow", "--stream", "stdout"],
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        worker = start_worker(specs.pool, "--once")
        out, err = follower.communicate(timeout=120)
        assert worker.wait(timeout=60) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0, err
    assert "waiting for its phases to end" in err, "it said what it waits for"
    assert out.index("one-from-first") < out.index("two-from-second")
    assert out.count("(sha256 ok)") == 2
