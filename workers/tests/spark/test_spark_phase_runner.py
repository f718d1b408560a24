"""The spark phase inside the executor's subprocess machinery (controlroom.phases.runner.run_phase): an
engine cap is reported as cap_exceeded, and a cancel interrupts the phase's operations on the server
(the server names the operations it interrupted), not only the client process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from controlroom.lakehouse.convert import spark_to_python_phase
from controlroom.lakehouse.spark_models import SparkPhase
from controlroom.phases.context import PhaseContext
from controlroom.phases.models import PhaseResult
from controlroom.phases.runner import run_phase
from controlroom.phases.sinks import FileLogSink

from .conftest import Sail
from .test_spark_phase import SLOW

FAST_CAPS = {"wall_seconds": 120, "kill_grace_seconds": 3.0, "poll_interval_seconds": 0.1}


def _run(
    phase: SparkPhase, endpoint: str, tmp_path: Path, env: dict[str, str], cancel_running: bool = False
) -> PhaseResult:
    runtime = spark_to_python_phase(phase)
    runtime = runtime.model_copy(update={"params": {**runtime.params, "endpoint": endpoint}})
    work = tmp_path / "work"
    work.mkdir()
    cancel = threading.Event()
    if cancel_running:
        threading.Thread(target=_cancel_once_running, args=(tmp_path / "stderr.log", cancel), daemon=True).start()
    stderr = FileLogSink(tmp_path / "stderr.log")
    try:
        return run_phase(runtime, PhaseContext(workdir=work, env=env, stderr=stderr, cancel=cancel))
    finally:
        stderr.close()


def _cancel_once_running(log: Path, cancel: threading.Event) -> None:
    """Cancel 2 s after the phase has its operation running on the server (start-up varies with load)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.exists() and "spark: running under tag" in log.read_text():
            time.sleep(2.0)
            break
        time.sleep(0.05)
    cancel.set()


def _interrupt_sent(tmp_path: Path) -> bool:
    """The phase sent the interrupt for its tag: the server answered (naming the operations it interrupted),
    or did not within the bound (Sail 0.7.2 answers only after a running write; docs/spark.md)."""
    log = (tmp_path / "stderr.log").read_text()
    return any(
        line.startswith(("spark: interrupted ", "spark: no answer to the interrupt of tag "))
        for line in log.splitlines()
    )


def test_a_spark_phase_runs_as_a_python_phase_in_a_subprocess(
    sail_url: str, tmp_path: Path, s3_env: dict[str, str], workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    phase = SparkPhase.model_validate(
        {
            "name": "ids",
            "kind": "spark",
            "query": "select id from range(10)",
            "output": {"uri": f"{root}ids"},
            "caps": FAST_CAPS,
        }
    )
    result = _run(phase, sail_url, tmp_path, s3_env)
    assert result.status == "succeeded", (result.error_class, result.error_message)
    assert isinstance(result.result, dict)
    assert result.result["rows"] == 10
    output = result.result["output"]
    assert isinstance(output, dict)
    assert output["delta_version"] == 0


def test_the_engine_timeout_is_reported_as_cap_exceeded(
    own_sail: Sail, tmp_path: Path, s3_env: dict[str, str], workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    phase = SparkPhase.model_validate(
        {
            "name": "slow",
            "kind": "spark",
            **SLOW,
            "engine": {"timeout_seconds": 8},
            "output": {"uri": f"{root}x"},
            "caps": FAST_CAPS,
        }
    )
    result = _run(phase, own_sail.url, tmp_path, s3_env)
    assert result.status == "cap_exceeded"
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit, result.breach.unit) == ("query_time", 8, "seconds")
    assert _interrupt_sent(tmp_path)


def test_the_default_engine_timeout_stops_the_query_before_the_wall_cap(
    own_sail: Sail, tmp_path: Path, s3_env: dict[str, str], workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    phase = SparkPhase.model_validate(
        {
            "name": "slow",
            "kind": "spark",
            **SLOW,
            "output": {"uri": f"{root}x"},
            "caps": {**FAST_CAPS, "wall_seconds": 30},
        }
    )
    result = _run(phase, own_sail.url, tmp_path, s3_env)
    assert result.status == "cap_exceeded"
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit) == ("query_time", 27)  # 90% of wall_seconds


def test_a_rows_breach_is_reported_as_cap_exceeded(
    sail_url: str, tmp_path: Path, s3_env: dict[str, str], workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    phase = SparkPhase.model_validate(
        {
            "name": "many",
            "kind": "spark",
            "query": "select id from range(101)",
            "engine": {"max_rows": 100},
            "output": {"uri": f"{root}x"},
            "caps": FAST_CAPS,
        }
    )
    result = _run(phase, sail_url, tmp_path, s3_env)
    assert result.status == "cap_exceeded"
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit, result.breach.measured) == ("query_rows", 100, 101)


def test_cancel_interrupts_the_running_operations_on_the_server(
    own_sail: Sail, tmp_path: Path, s3_env: dict[str, str], workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    phase = SparkPhase.model_validate(
        # A long grace: on a loaded machine the phase may need seconds to run its SIGTERM handler.
        {
            "name": "endless",
            "kind": "spark",
            **SLOW,
            "output": {"uri": f"{root}x"},
            "caps": {**FAST_CAPS, "kill_grace_seconds": 10},
        }
    )
    result = _run(phase, own_sail.url, tmp_path, s3_env, cancel_running=True)
    assert result.status == "cancelled"
    # SIGTERM reached the phase, which interrupted its tagged operation on the server before exiting.
    # SIGTERM reached the phase, which sent the interrupt for its tag before exiting.
    assert _interrupt_sent(tmp_path)
    assert "SparkJobStopped" in (tmp_path / "stderr.log").read_text()
