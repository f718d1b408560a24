"""The sql phase inside the executor's subprocess machinery (controlroom.phases.runner.run_phase),
so executor-level caps hold on top of the engine's own."""

from __future__ import annotations

from pathlib import Path

from controlroom.lakehouse.convert import to_python_phase
from controlroom.lakehouse.models import SqlPhase
from controlroom.phases.context import PhaseContext
from controlroom.phases.models import PhaseResult
from controlroom.phases.runner import run_phase
from controlroom.phases.sinks import FileLogSink

FAST_CAPS = {"wall_seconds": 120, "kill_grace_seconds": 1.0, "poll_interval_seconds": 0.1}


def _run(phase: SqlPhase, tmp_path: Path, env: dict[str, str]) -> PhaseResult:
    work = tmp_path / "work"
    work.mkdir()
    stderr = FileLogSink(tmp_path / "stderr.log")
    try:
        return run_phase(to_python_phase(phase), PhaseContext(workdir=work, env=env, stderr=stderr))
    finally:
        stderr.close()


def test_a_sql_phase_runs_as_a_python_phase_in_a_subprocess(
    tmp_path: Path, s3_env: dict[str, str], prefix: str
) -> None:
    phase = SqlPhase.model_validate(
        {
            "name": "count",
            "query": "select count(*) as n from range(1000)",
            "output": {"uri": f"{prefix}/n"},
            "caps": FAST_CAPS,
        }
    )
    result = _run(phase, tmp_path, s3_env)
    assert result.status == "succeeded", (result.error_class, result.error_message)
    assert isinstance(result.result, dict)
    assert result.result["rows"] == 1
    assert result.result["output"] == {
        "uri": f"{prefix}/n",
        "format": "delta",
        "mode": "overwrite",
        "delta_version": 0,
        "sha256": None,
        "size_bytes": None,
    }


def test_an_engine_cap_breach_fails_the_phase_and_names_the_cap(
    tmp_path: Path, s3_env: dict[str, str], prefix: str
) -> None:
    phase = SqlPhase.model_validate(
        {
            "name": "too-many",
            "query": "select range from range(1001)",
            "engine": {"max_rows": 1000},
            "output": {"uri": f"{prefix}/never"},
            "caps": FAST_CAPS,
        }
    )
    result = _run(phase, tmp_path, s3_env)
    assert result.status != "succeeded"
    assert result.error_message is not None
    assert "query_rows cap exceeded: limit 1000, measured " in result.error_message


def test_an_engine_cap_breach_is_reported_as_cap_exceeded(tmp_path: Path, s3_env: dict[str, str], prefix: str) -> None:
    phase = SqlPhase.model_validate(
        {
            "name": "too-many",
            "query": "select range from range(1001)",
            "engine": {"max_rows": 1000},
            "output": {"uri": f"{prefix}/never"},
            "caps": FAST_CAPS,
        }
    )
    result = _run(phase, tmp_path, s3_env)
    assert result.status == "cap_exceeded"
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit) == ("query_rows", 1000)
    assert result.breach.measured > 1000
