"""A sql phase runs as a python phase of `controlroom.lakehouse.sql_phase:run`, so it gets the same
subprocess, executor-level caps, logs and result handling as any other phase."""

from __future__ import annotations

from controlroom.lakehouse.models import QUALITY_ENTRYPOINT, SQL_ENTRYPOINT, SqlPhase
from controlroom.lakehouse.spark_models import SPARK_ENTRYPOINT, SparkPhase
from controlroom.phases.models import PhaseCaps, PythonPhase

LAKEHOUSE_ENTRYPOINTS = frozenset({SQL_ENTRYPOINT, QUALITY_ENTRYPOINT, SPARK_ENTRYPOINT})


def to_python_phase(phase: SqlPhase) -> PythonPhase:
    return PythonPhase(
        name=phase.name,
        env=phase.env,
        cwd=phase.cwd,
        caps=engine_process_caps(phase.caps),
        entrypoint=SQL_ENTRYPOINT,
        params=phase.job().model_dump(mode="json"),
    )


def spark_to_python_phase(phase: SparkPhase) -> PythonPhase:
    """The driver of a spark phase is this python phase: its caps (wall, CPU, memory, output) hold for the
    client side; the engine's own caps (engine.*) are enforced through the session. The endpoint is
    added by the executor (controlroom.executor.run), never taken from the spec."""
    return PythonPhase(
        name=phase.name,
        env=phase.env,
        cwd=phase.cwd,
        caps=engine_process_caps(phase.caps),
        entrypoint=SPARK_ENTRYPOINT,
        params=phase.job().model_dump(mode="json"),
    )


def engine_process_caps(caps: PhaseCaps) -> PhaseCaps:
    """Caps for a process that runs DuckDB and delta-rs.

    They reserve far more virtual memory than they touch (VmPeak ~2.9 GB for a small Delta write to
    S3, with ~350 MB resident), so the default RLIMIT_AS (= memory_bytes) would fail healthy queries.
    Unless the spec sets address_space_bytes itself, it is turned off here; resident memory is still
    polled against memory_bytes, and DuckDB's memory_limit sits below that.
    """
    if caps.address_space_bytes is None:
        return caps.model_copy(update={"address_space_bytes": 0})
    return caps
