"""`controlroom down` / `up` keeps a run's artifacts: `controlroom artifacts verify` passes after the
restart, and their keys still refuse a second write. A private stack (own state folder and ports)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from controlroom.settings import project_root

pytestmark = [pytest.mark.stack, pytest.mark.xdist_group("stack-s3-restart")]

# Below the ephemeral range, apart from test_lifecycle's 29400+ and scripts/test's 293xx.
_BASE = 29600 + 40 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0")
PORTS = {
    "CONTROLROOM_PG_PORT": str(_BASE + 22),
    "CONTROLROOM_API_PORT": str(_BASE + 21),
    "CONTROLROOM_S3_PORT": str(_BASE + 29),
    "CONTROLROOM_PAGE_PORT": str(_BASE + 23),
}
EXE = shutil.which("controlroom", path=str(Path(sys.executable).parent)) or shutil.which("controlroom")


def controlroom(args: list[str], env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    assert EXE, "the controlroom console script must be installed (scripts/setup does it)"
    return subprocess.run(
        [EXE, *args], env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
    )


def exported(env: dict[str, str]) -> dict[str, str]:
    done = controlroom(["env"], env)
    assert done.returncode == 0, done.stderr
    out = {}
    for line in done.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        out[name] = shlex.split(value)[0]
    return env | out


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "AWS_", "SUPABASE_", "DATABASE_"))}
    env = base | PORTS | {"CONTROLROOM_STATE_DIR": str(tmp_path / "state"), "CONTROLROOM_PG_FAST": "1"}
    yield env
    controlroom(["down"], env)


def test_artifacts_verify_passes_after_down_and_up(stack_env: dict[str, str], tmp_path: Path) -> None:
    up = controlroom(["up"], stack_env)
    assert up.returncode == 0, up.stderr
    env = exported(stack_env)
    spec = project_root() / "specs" / "examples" / "hello.yaml"
    assert controlroom(["spec", "publish", str(spec), "--create-workspace"], env).returncode == 0
    submitted = controlroom(["submit", str(spec), "--json"], env)
    assert submitted.returncode == 0, submitted.stderr
    run_id = json.loads(submitted.stdout)["id"]
    worker = controlroom(["worker", "--pool", "default", "--once"], env)
    assert worker.returncode == 0, worker.stderr[-2000:]
    before = controlroom(["artifacts", "verify", run_id, "--json"], env)
    assert before.returncode == 0, before.stderr
    verdicts = json.loads(before.stdout)
    assert verdicts
    assert {v["status"] for v in verdicts} == {"ok"}
    listed = json.loads(controlroom(["artifacts", run_id, "--json"], env).stdout)

    assert controlroom(["down"], stack_env).returncode == 0
    up = controlroom(["up"], stack_env)
    assert up.returncode == 0, up.stderr
    env = exported(stack_env)

    after = controlroom(["artifacts", "verify", run_id, "--json"], env)
    assert after.returncode == 0, after.stdout + after.stderr
    assert sorted((v["uri"], v["status"]) for v in json.loads(after.stdout)) == sorted(
        (v["uri"], "ok") for v in verdicts
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )
    for artifact in listed:
        bucket, _, key = artifact["uri"].removeprefix("s3://").partition("/")
        with pytest.raises(ClientError) as refused:
            s3.put_object(Bucket=bucket, Key=key, Body=b"second write", IfNoneMatch="*")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    # A second run after the restart works too: the workspace's role and the executor keys were kept.
    again = controlroom(["submit", str(spec), "--json"], env)
    assert again.returncode == 0, again.stderr
    worker = controlroom(["worker", "--pool", "default", "--once"], env)
    assert worker.returncode == 0, worker.stderr[-2000:]
    second = controlroom(["artifacts", "verify", json.loads(again.stdout)["id"]], env)
    assert second.returncode == 0, second.stdout + second.stderr
