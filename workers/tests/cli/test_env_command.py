"""`controlroom env` prints the settings of the stack of its state folder, or refuses.

A shell without CONTROLROOM_STATE_DIR used to get a fresh state folder created and the keys of that
new folder printed next to the ports of whatever stack was up: the next command then failed with
a misleading "refused the API key"."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

from tests.cli.conftest import no_traceback, run_cli


def _exports(stdout: str) -> dict[str, str]:
    out = {}
    for line in stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        out[name] = shlex.split(value)[0] if value else ""
    return out


def test_env_prints_the_running_stack_of_its_state_folder() -> None:
    done = run_cli("env")
    assert done.code == 0, done.stderr
    exported = _exports(done.stdout)
    assert exported["DATABASE_URL"] == os.environ["DATABASE_URL"]
    assert exported["CONTROLROOM_STATE_DIR"] == os.environ["CONTROLROOM_STATE_DIR"]
    assert exported["SUPABASE_SERVICE_ROLE_KEY"] == os.environ["SUPABASE_SERVICE_ROLE_KEY"]


def test_env_without_a_state_folder_refuses_and_creates_nothing(tmp_path: Path) -> None:
    project = tmp_path / "checkout"
    done = run_cli("env", unset=["CONTROLROOM_STATE_DIR"], env={"CONTROLROOM_PROJECT_DIR": str(project)})
    assert done.code == 1
    assert done.stdout == ""  # `eval "$(controlroom env)"` then sets nothing
    assert no_traceback(done.stderr)
    message = " ".join(done.stderr.split())
    assert f"{project / '.controlroom'}" in message
    assert "CONTROLROOM_STATE_DIR is not set" in message
    assert "export CONTROLROOM_STATE_DIR=" in message
    # The ports of this shell belong to the running test stack, not to that folder: said so.
    assert f"Port {os.environ['CONTROLROOM_API_PORT']} is in use" in message
    assert not project.exists()


def test_env_for_a_stopped_stack_refuses(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    fields = ("jwt_secret", "db_password", "authenticator_password")
    (state / "secrets.json").write_text(json.dumps({name: "unused" for name in fields} | {"issued_at": 0}))
    done = run_cli("env", env={"CONTROLROOM_STATE_DIR": str(state)})
    assert done.code == 1
    assert done.stdout == ""
    message = " ".join(done.stderr.split())
    assert f"The local stack of the state folder {state} (from CONTROLROOM_STATE_DIR) is not up" in message


def test_env_with_other_ports_than_the_stack_refuses() -> None:
    port = os.environ["CONTROLROOM_PG_PORT"]
    done = run_cli("env", env={"CONTROLROOM_PG_PORT": str(int(port) + 7)})
    assert done.code == 1
    assert done.stdout == ""
    assert f"export CONTROLROOM_PG_PORT={port}" in " ".join(done.stderr.split())
