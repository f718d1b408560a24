"""`controlroom keys` and `controlroom executor-token`: tokens the control plane accepts, minted server-side."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt

CLI = str(Path(sys.executable).parent / "controlroom")


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)


def test_executor_token_carries_the_executor_role_and_its_scope() -> None:
    secret = os.environ["SUPABASE_JWT_SECRET"]
    workspace = "0b4fbe2a-53c3-4a43-9b8e-1e2a1c2d3e4f"
    out = _run("executor-token", "--pool", "gpu", "--workspace", workspace, "--ttl", "120", env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    claims = jwt.decode(out.stdout.strip(), secret, algorithms=["HS256"])
    assert claims["role"] == "controlroom_executor"
    assert (claims["pool"], claims["workspace_id"]) == ("gpu", workspace)
    assert claims["exp"] - claims["iat"] == 120
    assert claims["sub"]


def test_executor_token_refuses_to_run_without_the_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SUPABASE_JWT_SECRET"}
    out = _run("executor-token", "--pool", "default", env=env)
    assert out.returncode == 2
    assert "SUPABASE_JWT_SECRET" in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


def test_executor_token_rejects_a_non_positive_ttl() -> None:
    out = _run("executor-token", "--pool", "default", "--ttl", "0", env=dict(os.environ))
    assert out.returncode == 2
    assert "--ttl" in out.stderr


def test_keys_prints_the_local_api_keys_and_an_executor_token() -> None:
    out = _run("keys", env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(None, 1) for line in out.stdout.splitlines())
    secret = os.environ["SUPABASE_JWT_SECRET"]
    assert lines["anon"].strip() == os.environ["SUPABASE_ANON_KEY"]
    assert jwt.decode(lines["service_role"].strip(), secret, algorithms=["HS256"])["role"] == "service_role"
    assert jwt.decode(lines["executor"].strip(), secret, algorithms=["HS256"])["role"] == "controlroom_executor"
