"""run_phase: the public entry point of the phase layer. Spec + context in, PhaseResult out.

Pure with respect to the control plane: it reports only through ctx.on_event and its return
value; the executor loop turns those into RPCs.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from pydantic import JsonValue

from controlroom.phases import launch
from controlroom.phases.classify import Verdict, classify
from controlroom.phases.context import CAP_EXCEEDED, PHASE_FINISHED, PHASE_LOG, PHASE_STARTED, PhaseContext
from controlroom.phases.models import EventLevel, PhaseResult, PhaseSpec, PhaseStatus, PythonPhase
from controlroom.phases.report import ChildReport, read_report
from controlroom.phases.supervise import Launch, Outcome, SpawnError, run_supervised
from controlroom.phases.workdirs import give_to

SUMMARY_LINES = 20
_FINISHED_LEVEL: dict[str, EventLevel] = {
    "succeeded": "info",
    "cancelled": "warning",
    "failed": "error",
    "cap_exceeded": "error",
}


def run_phase(spec: PhaseSpec, ctx: PhaseContext) -> PhaseResult:
    if ctx.cancel.is_set():  # cancelled before it started: do not spawn anything
        return _not_started(spec, "cancelled", "Cancelled", "cancel requested before the phase started")
    scratch = Path(tempfile.mkdtemp(prefix=f"phase-{spec.name}-", dir=ctx.workdir))
    try:
        give_to(scratch, ctx.identity)  # the phase writes its result file here
        outcome, report = _execute(spec, ctx, scratch)
    except SpawnError as exc:
        return _not_started(spec, "failed", "SpawnError", str(exc))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    verdict = classify(spec, outcome, report)
    result = _result(spec, outcome, verdict)
    _report_events(ctx, result, outcome)
    return result


def _execute(spec: PhaseSpec, ctx: PhaseContext, scratch: Path) -> tuple[Outcome, ChildReport | None]:
    result_path = scratch / "result.json"
    if isinstance(spec, PythonPhase):
        params_path = scratch / "params.json"
        params_path.write_text(json.dumps(spec.params))
        give_to(params_path, ctx.identity)
        argv = launch.python_argv(ctx.python, spec, params_path, result_path)
    else:
        argv = launch.shell_argv(ctx.python, spec)
    outcome = run_supervised(
        Launch(
            argv=argv,
            env=launch.phase_env(spec, ctx.env, home=ctx.workdir if ctx.identity else None),
            cwd=Path(spec.cwd) if spec.cwd else ctx.workdir,
            caps=spec.caps,
            identity=ctx.identity,
        ),
        cancel=ctx.cancel.is_set,
        stdout=ctx.stdout,
        stderr=ctx.stderr,
        on_spawn=lambda pid: ctx.on_event(
            PHASE_STARTED,
            "info",
            f"phase {spec.name} started (pid {pid})",
            {"phase": spec.name, "kind": spec.kind, "pid": pid, "caps": spec.caps.model_dump(mode="json")},
        ),
    )
    owner = ctx.identity.uid if ctx.identity else None
    report = read_report(result_path, spec.caps.result_bytes, owner) if isinstance(spec, PythonPhase) else None
    return outcome, report


def _result(spec: PhaseSpec, outcome: Outcome, verdict: Verdict) -> PhaseResult:
    return PhaseResult(
        phase=spec.name,
        kind=spec.kind,
        status=verdict.status,
        exit_code=outcome.exit_code,
        signal=outcome.signal,
        duration_seconds=round(outcome.duration_seconds, 3),
        cpu_seconds=round(outcome.cpu_seconds, 3),
        peak_rss_bytes=outcome.peak_rss_bytes,
        stdout_bytes=outcome.streams["stdout"].byte_count,
        stderr_bytes=outcome.streams["stderr"].byte_count,
        breach=verdict.breach,
        result=verdict.result,
        error_class=verdict.error_class,
        error_message=verdict.error_message,
    )


def _not_started(spec: PhaseSpec, status: PhaseStatus, error_class: str, message: str) -> PhaseResult:
    return PhaseResult(
        phase=spec.name,
        kind=spec.kind,
        status=status,
        exit_code=None,
        signal=None,
        duration_seconds=0.0,
        cpu_seconds=0.0,
        peak_rss_bytes=0,
        stdout_bytes=0,
        stderr_bytes=0,
        error_class=error_class,
        error_message=message,
    )


def _report_events(ctx: PhaseContext, result: PhaseResult, outcome: Outcome) -> None:
    if result.breach is not None:
        breach = result.breach
        ctx.on_event(
            CAP_EXCEEDED,
            "error",
            f"phase {result.phase}: {breach.cap} cap exceeded (limit {breach.limit:g}, measured {breach.measured:g} "
            f"{breach.unit})",
            {"phase": result.phase, **breach.model_dump(mode="json")},
        )
    for name, stream in outcome.streams.items():
        if stream.byte_count:
            tail = stream.tail.decode(errors="replace").splitlines()[-SUMMARY_LINES:]
            payload: dict[str, JsonValue] = {
                "phase": result.phase,
                "stream": name,
                "bytes": stream.byte_count,
                "lines": stream.lines,
                "tail": list(tail),
            }
            level: EventLevel = "warning" if name == "stderr" and result.status != "succeeded" else "info"
            ctx.on_event(
                PHASE_LOG,
                level,
                f"phase {result.phase} {name}: {stream.byte_count} bytes, {stream.lines} lines",
                payload,
            )
    if outcome.leftovers_stopped:
        ctx.on_event(
            PHASE_LOG,
            "warning",
            f"phase {result.phase}: processes left behind by the phase were stopped",
            {"phase": result.phase},
        )
    ctx.on_event(
        PHASE_FINISHED,
        _FINISHED_LEVEL[result.status],
        f"phase {result.phase} {result.status}",
        result.model_dump(mode="json", exclude={"result"}),
    )
