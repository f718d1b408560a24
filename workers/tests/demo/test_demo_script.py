"""README's first command, as written: scripts/demo runs the lakehouse pipeline end to end.

It runs on a private stack (own state folder and ports) so it never meets the shared test stack.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from controlroom.settings import project_root

pytestmark = [pytest.mark.stack, pytest.mark.timeout(900)]


def test_scripts_demo_runs_the_pipeline_and_verifies_its_artifacts(tmp_path: Path) -> None:
    root = project_root()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUPABASE_", "S3_", "AWS_", "CONTROLROOM_", "DATABASE_URL"))
    }
    state = tmp_path / "state"
    env |= {
        "CONTROLROOM_STATE_DIR": str(state),
        "CONTROLROOM_PG_PORT": "29722",
        "CONTROLROOM_API_PORT": "29721",
        "CONTROLROOM_S3_PORT": "29729",
        "CONTROLROOM_PG_FAST": "1",
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    }
    try:
        demo = subprocess.run(
            [str(root / "scripts" / "demo")],
            env=env,
            capture_output=True,
            text=True,
            timeout=850,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    finally:
        subprocess.run(
            [str(Path(sys.executable).parent / "controlroom"), "down"], env=env, capture_output=True, check=False
        )
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output[-4000:]
    assert re.search(r"run [0-9a-f-]{36} succeeded", output), output[-2000:]
    verified = re.search(r"(\d+) of (\d+) artifact\(s\) checked: (\d+) ok", output)
    assert verified, output[-2000:]
    assert verified.group(1) == verified.group(2) == verified.group(3), verified.group(0)
    assert int(verified.group(1)) >= 10  # logs and results of every phase
    assert "gold/delays_by_carrier_month" in output
    assert "Traceback" not in output
