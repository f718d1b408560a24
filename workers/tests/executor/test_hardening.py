"""What the worker does to itself: non-dumpable (its /proc files closed to same-uid processes),
secrets out of its environment, and a token file only it may read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from controlroom.executor import hardening

# A stand-in worker: a secret in its exec-time environment, optionally non-dumpable.
WORKER = r"""
import sys, time
from controlroom.executor import hardening
if sys.argv[1] == "harden":
    assert hardening.make_non_dumpable()
    hardening.scrub_secrets()
print("ready", flush=True)
time.sleep(30)
"""

# A same-uid neighbour (what a phase is when the worker cannot switch uid) reading its environ.
READER = r"""
import sys
try:
    data = open(f"/proc/{sys.argv[1]}/environ", "rb").read()
except PermissionError:
    print("DENIED")
else:
    print("READ" if b"SUPABASE_JWT_SECRET=" in data else "NO-SECRET")
"""


# As root, both run as one unprivileged uid: root itself may read any /proc file (CAP_SYS_PTRACE).
SAME_UID: int | None = 61998 if os.geteuid() == 0 else None


@pytest.mark.parametrize(("mode", "expected"), [("harden", "DENIED"), ("plain", "READ")])
def test_a_same_uid_process_cannot_read_a_non_dumpable_worker_environment(mode: str, expected: str) -> None:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", ""), "SUPABASE_JWT_SECRET": "s3cr3t"}
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, mode],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        cwd="/",
        user=SAME_UID,
        group=SAME_UID,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        reader = subprocess.run(
            [sys.executable, "-c", READER, str(worker.pid)],
            env={"PATH": os.environ["PATH"]},
            capture_output=True,
            text=True,
            cwd="/",
            timeout=30,
            check=False,
            user=SAME_UID,
            group=SAME_UID,
        )
        # "plain" shows the attack works without the guard (the exec-time environ is what /proc shows).
        assert reader.stdout.strip() == expected, reader.stderr
    finally:
        worker.kill()
        worker.wait()
        if worker.stdout:
            worker.stdout.close()


def test_scrubbed_secrets_leave_the_environment_children_inherit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLROOM_TOKEN", "tok")
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "srk")
    removed = hardening.scrub_secrets(("CONTROLROOM_TOKEN", "SUPABASE_SERVICE_ROLE_KEY", "NOT_SET_AT_ALL"))
    assert removed == ["CONTROLROOM_TOKEN", "SUPABASE_SERVICE_ROLE_KEY"]
    child = subprocess.run(["env"], capture_output=True, text=True, check=True)
    assert "CONTROLROOM_TOKEN=" not in child.stdout
    assert "SUPABASE_SERVICE_ROLE_KEY=" not in child.stdout


def test_a_token_file_must_be_private_regular_and_not_a_symlink(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("  the-token\n")
    token.chmod(0o600)
    assert hardening.read_token_file(token) == "the-token"
    token.chmod(0o640)
    with pytest.raises(hardening.HardeningError, match="must not be readable by group or others"):
        hardening.read_token_file(token)
    token.chmod(0o600)
    link = tmp_path / "link"
    link.symlink_to(token)
    with pytest.raises(hardening.HardeningError, match="cannot open"):
        hardening.read_token_file(link)
