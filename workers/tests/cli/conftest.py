"""The command line, for real: the `controlroom` program in subprocesses and the Typer app in-process
(CliRunner), against the real local stack. Every test works in a workspace of its own."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from controlroom.cli import app
from controlroom.client.control_plane import ControlPlane
from tests.worker.conftest import start_worker  # noqa: F401  (a fixture, shared with the worker tests)

EXE = shutil.which("controlroom", path=str(Path(sys.executable).parent)) or shutil.which("controlroom")


@dataclass(frozen=True)
class Proc:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    unset: Sequence[str] = (),
    timeout: float = 120,
    memory_bytes: int | None = None,
) -> Proc:
    """The real program in a subprocess (what a user's shell runs); `unset` removes variables;
    `memory_bytes` caps its address space (for inputs that would otherwise eat the machine's memory)."""
    assert EXE, "controlroom must be installed (scripts/setup)"
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    for name in unset:
        environment.pop(name, None)

    def limit_memory() -> None:
        if memory_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    done = subprocess.run(
        [EXE, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit_memory if memory_bytes is not None else None,
        check=False,
    )
    return Proc(done.returncode, done.stdout, done.stderr)


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """The Typer app in-process: fast, same code path as the program below cli.main."""
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@dataclass
class SpecFiles:
    """Spec files in a temp folder, all in one fresh workspace (slug) and pool of this test."""

    folder: Path
    workspace: str
    pool: str

    def write(self, name: str = "cli-test", version: int = 1, **fields: Any) -> Path:
        body: dict[str, Any] = {
            "name": name,
            "version": version,
            "workspace": self.workspace,
            "pool": self.pool,
            "phases": [{"name": "hello", "kind": "shell", "argv": ["echo", "hello"]}],
            **fields,
        }
        path = self.folder / f"{name}-v{version}.yaml"
        path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
        return path


@pytest.fixture
def specs(tmp_path: Path) -> SpecFiles:
    suffix = uuid.uuid4().hex[:10]
    folder = tmp_path / "specs"
    folder.mkdir()
    return SpecFiles(folder, f"cli-{suffix}", f"pool-{suffix}")


@pytest.fixture
def plane(service_plane: ControlPlane) -> ControlPlane:
    return service_plane


def publish(path: Path) -> None:
    result = invoke("spec", "publish", str(path), "--create-workspace")
    assert result.exit_code == 0, result.output


@dataclass(frozen=True)
class FinishedRun:
    run_id: str
    workspace: str
    pool: str


@pytest.fixture
def finished_run(
    specs: SpecFiles,
    plane: ControlPlane,
    start_worker: Callable[..., subprocess.Popen[str]],  # noqa: F811
) -> FinishedRun:
    """A two-phase run (shell, then python) executed by a real `controlroom worker --once`."""
    path = specs.write(
        "two-phases",
        phases=[
            {"name": "say", "kind": "shell", "argv": ["echo", "hello from the shell"]},
            {
                "name": "greet",
                "kind": "python",
                "entrypoint": "controlroom.examples.hello:greet",
                "params": {"who": "cli"},
            },
        ],
    )
    publish(path)
    submitted = invoke("submit", str(path), "--json")
    assert submitted.exit_code == 0, submitted.output
    run_id = json.loads(submitted.stdout)["id"]
    worker = start_worker(specs.pool, "--once")
    assert worker.wait(timeout=120) == 0
    status = wait_for_status(plane, run_id, {"succeeded", "failed", "cancelled", "timed_out"})
    assert status == "succeeded"
    return FinishedRun(run_id, specs.workspace, specs.pool)


def wait_for_status(plane: ControlPlane, run_id: str, statuses: set[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        rows = plane.run_board(run_id=run_id)
        status = rows[0].status if rows else ""
        if status in statuses or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def no_traceback(*texts: str) -> bool:
    return not any("Traceback" in text for text in texts)
