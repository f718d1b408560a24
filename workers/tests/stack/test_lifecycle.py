"""`controlroom up | status | down` from nothing, as a user runs them: real processes, real ports.

These start a second, private stack (own state folder, own ports) next to the shared one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from controlroom.settings import project_root

# One private stack per module and worker. The group keeps the module on one xdist worker, but
# the scheduler has been seen to split it anyway (two workers, two private stacks, one port):
# so the ports differ per worker, and every test that needs the stack brings it up itself.
pytestmark = [pytest.mark.stack, pytest.mark.xdist_group("stack-lifecycle")]

# Below the ephemeral range (32768-60999 on Linux): a client connection's local port can never
# hold these while the private stack starts (it did, with 56322, on a busy machine).
_BASE = 29400 + 40 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0")
PORTS = {
    "CONTROLROOM_PG_PORT": str(_BASE + 22),
    "CONTROLROOM_API_PORT": str(_BASE + 21),
    "CONTROLROOM_S3_PORT": str(_BASE + 29),
    "CONTROLROOM_PAGE_PORT": str(_BASE + 23),
}


def _env(state: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"S3_ENDPOINT_URL", "DATABASE_URL"}}
    env |= PORTS | {"CONTROLROOM_STATE_DIR": str(state), "CONTROLROOM_PG_FAST": "1"} | extra
    return env


def controlroom(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("controlroom", path=str(Path(sys.executable).parent)) or shutil.which("controlroom")
    assert exe, "the controlroom console script must be installed (scripts/setup does it)"
    return subprocess.run(
        [exe, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _pids_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and int(proc.name) != os.getpid():
            found.append(int(proc.name))
    return found


@pytest.fixture(scope="module")
def private_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    state = tmp_path_factory.mktemp("stack") / "state"
    env = _env(state)
    yield state, env
    controlroom(["down"], env)


def test_up_from_nothing_brings_every_component_up(private_stack: tuple[Path, dict[str, str]]) -> None:
    state, env = private_stack
    assert not state.exists()
    up = controlroom(["up"], env)
    assert up.returncode == 0, up.stderr
    status = controlroom(["status", "--json"], env)
    rows = {row["name"]: row for row in __import__("json").loads(status.stdout)}
    assert rows["postgres"]["healthy"], rows
    assert rows["s3"]["healthy"], rows
    exports = controlroom(["env"], env).stdout
    assert "export DATABASE_URL=" in exports
    assert "export SUPABASE_JWT_SECRET=" in exports
    url = next(
        line.split("=", 1)[1].strip("'") for line in exports.splitlines() if line.startswith("export DATABASE_URL=")
    )
    with psycopg.connect(url) as conn:
        row = conn.execute("select public.schema_version()").fetchone()
    assert row is not None
    assert row[0] != "none"


def test_up_twice_is_harmless(private_stack: tuple[Path, dict[str, str]]) -> None:
    state, env = private_stack
    assert controlroom(["up"], env).returncode == 0
    s3_pid = (state / "run" / "s3.pid").read_text()
    postmaster = Path(state / "postgres" / "data" / "postmaster.pid")
    pg_pid = postmaster.read_text().split()[0] if postmaster.exists() else None
    again = controlroom(["up"], env)
    assert again.returncode == 0, again.stderr
    assert (state / "run" / "s3.pid").read_text() == s3_pid
    if pg_pid is not None:
        assert postmaster.read_text().split()[0] == pg_pid


def test_jwt_secret_is_generated_per_state_folder_and_private(
    private_stack: tuple[Path, dict[str, str]],
) -> None:
    state, env = private_stack
    assert controlroom(["up"], env).returncode == 0  # a no-op when an earlier test brought it up
    secrets = state / "secrets.json"
    assert secrets.exists()
    assert secrets.stat().st_mode & 0o077 == 0
    assert not str(secrets.resolve()).startswith(str(project_root()) + "/supabase")


def test_busy_port_gives_a_clear_error(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = _env(
            tmp_path / "state",
            CONTROLROOM_PG_PORT=str(port),
            CONTROLROOM_S3_PORT=str(_BASE + 39),
            CONTROLROOM_API_PORT=str(_BASE + 31),
            CONTROLROOM_PAGE_PORT=str(_BASE + 33),
        )
        try:
            result = controlroom(["up"], env)
        finally:
            controlroom(["down"], env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"port {port}" in result.stderr
    assert "CONTROLROOM_PG_PORT" in result.stderr


def test_missing_postgres_binaries_give_a_clear_error(tmp_path: Path) -> None:
    env = _env(tmp_path / "state", CONTROLROOM_PG_BINDIR=str(tmp_path / "nowhere"))
    result = controlroom(["up"], env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "scripts/setup" in result.stderr


def test_failed_migration_gives_a_clear_error(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(project_root() / "supabase", project / "supabase")
    (project / "supabase" / "migrations" / "29991231235959_break_everything.sql").write_text(
        "select * from a_table_that_does_not_exist;\n"
    )
    cli_dir = project_root() / "node_modules" / ".bin"
    env = _env(
        tmp_path / "state",
        CONTROLROOM_PROJECT_DIR=str(project),
        CONTROLROOM_PG_PORT=str(_BASE + 12),
        CONTROLROOM_S3_PORT=str(_BASE + 19),
        CONTROLROOM_API_PORT=str(_BASE + 11),
        CONTROLROOM_PAGE_PORT=str(_BASE + 13),
        PATH=f"{cli_dir}:{os.environ['PATH']}",
    )
    try:
        result = controlroom(["up"], env)
    finally:
        controlroom(["down"], env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "supabase db push" in result.stderr
    assert "a_table_that_does_not_exist" in result.stderr or "migrations.log" in result.stderr


def test_down_leaves_no_process(private_stack: tuple[Path, dict[str, str]]) -> None:
    state, env = private_stack
    assert controlroom(["up"], env).returncode == 0
    pg_home = Path((state / "postgres.location").read_text().strip())
    assert _pids_mentioning(str(pg_home)), "postgres should be running before down"
    down = controlroom(["down"], env)
    assert down.returncode == 0, down.stderr
    assert _pids_mentioning(str(pg_home)) == []
    assert _pids_mentioning(f"-p {PORTS['CONTROLROOM_S3_PORT']}") == []
    assert not (state / "run" / "s3.pid").exists()
    assert controlroom(["status"], env).returncode == 1
