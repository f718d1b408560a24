"""From what happened to the process to a phase status: the one place that decides
succeeded | failed | cap_exceeded | cancelled, and which cap.

Breaches seen while the phase ran (supervise) are certain. The kernel's own enforcement is
recognised after the fact: SIGXCPU or CPU at the cap for RLIMIT_CPU, the reserved exit code of
pyentry for RLIMIT_AS in python phases, and for other programs a failure together with evidence of
address-space exhaustion (see docs/caps.md, "memory", for how far that attribution can be trusted).
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from pydantic import JsonValue, ValidationError

from controlroom.phases.launch import rlimit_cpu_soft
from controlroom.phases.models import CapBreach, PhaseSpec, PhaseStatus
from controlroom.phases.pyentry import MEMORY_EXIT
from controlroom.phases.report import ChildReport
from controlroom.phases.supervise import Outcome

# What common runtimes print when an allocation fails; matched case-insensitively in stderr's tail.
OOM_MARKERS = (
    "MemoryError",
    "cannot allocate",
    "out of memory",
    "std::bad_alloc",
    "memory exhausted",
    "failed to allocate",
    "memory allocation failed",
)
# A failed process whose virtual size got this close to RLIMIT_AS hit it (an allocation that would
# have crossed was refused, so the peak stays just under the limit).
VSIZE_NEAR_LIMIT = 0.9


@dataclass(frozen=True)
class Verdict:
    status: PhaseStatus
    breach: CapBreach | None = None
    result: JsonValue = None
    error_class: str | None = None
    error_message: str | None = None


def classify(spec: PhaseSpec, outcome: Outcome, report: ChildReport | None) -> Verdict:
    if outcome.breach is not None:
        return _cap(outcome.breach)
    if outcome.cancelled:
        return Verdict("cancelled", error_class="Cancelled", error_message="cancel requested; phase terminated")
    failed = outcome.exit_code != 0
    if failed:
        breach = _kernel_breach(spec, outcome, report)
        if breach is not None:
            return _cap(breach)
    if report is not None:
        return _python(spec, outcome, report)
    if not failed:
        return Verdict("succeeded")
    return Verdict("failed", error_class=_failure_class(outcome), error_message=_failure_message(outcome))


def _cap(breach: CapBreach) -> Verdict:
    message = f"{breach.cap} cap exceeded: limit {breach.limit:g}, measured {breach.measured:g} ({breach.unit})"
    return Verdict(
        "cap_exceeded", breach=breach, error_class="CapExceeded", error_message=f"{message}: {breach.detail}"
    )


def _kernel_breach(spec: PhaseSpec, outcome: Outcome, report: ChildReport | None) -> CapBreach | None:
    caps, at = spec.caps, round(outcome.duration_seconds, 3)
    if outcome.signal == signal.SIGXCPU:
        # The kernel's own count reached RLIMIT_CPU; rusage, sampled differently, can read a little less.
        soft = float(rlimit_cpu_soft(caps))
        return CapBreach(
            cap="cpu_time",
            limit=caps.cpu_seconds,
            measured=max(round(outcome.cpu_seconds, 3), soft),
            unit="cpu_seconds",
            at_seconds=at,
            detail=f"SIGXCPU: the kernel counted RLIMIT_CPU={soft:g} s of CPU "
            f"(rusage read {outcome.cpu_seconds:.3f} s)",
        )
    if outcome.cpu_seconds >= caps.cpu_seconds:
        return CapBreach(
            cap="cpu_time",
            limit=caps.cpu_seconds,
            measured=round(outcome.cpu_seconds, 3),
            unit="cpu_seconds",
            detail="failed with its CPU time at the cap",
            at_seconds=at,
        )
    limit = caps.rlimit_as
    if not limit:
        return None
    vsize = outcome.peak_vsize_bytes
    if outcome.exit_code == MEMORY_EXIT and report is not None and report.error_class == "MemoryError":
        measured, how = report.vm_peak_bytes or vsize, "MemoryError in the phase: RLIMIT_AS refused an allocation"
    elif outcome.exit_code == MEMORY_EXIT and report is not None and report.state == "missing":
        measured, how = vsize, "the phase exited with the reserved out-of-memory code (RLIMIT_AS)"
    elif vsize >= VSIZE_NEAR_LIMIT * limit:
        measured, how = vsize, "failed with its virtual size at the RLIMIT_AS cap"
    elif marker := _oom_marker(outcome):
        measured, how = vsize, f"failed under RLIMIT_AS and its stderr reports {marker!r}"
    else:
        return None
    return CapBreach(
        cap="memory",
        limit=limit,
        measured=measured,
        unit="bytes",
        detail=how + "; measured is the peak virtual size observed",
        at_seconds=at,
    )


def _oom_marker(outcome: Outcome) -> str | None:
    tail = outcome.streams["stderr"].tail.decode(errors="replace").lower()
    return next((m for m in OOM_MARKERS if m.lower() in tail), None)


def _python(spec: PhaseSpec, outcome: Outcome, report: ChildReport) -> Verdict:
    if report.state == "too_large":
        return _cap(
            CapBreach(
                cap="result_bytes",
                limit=spec.caps.result_bytes,
                measured=report.size,
                unit="bytes",
                detail="the JSON result file is larger than the cap",
                at_seconds=round(outcome.duration_seconds, 3),
            )
        )
    if report.state == "ok" and outcome.exit_code == 0:
        return Verdict("succeeded", result=report.result)
    if report.state == "error" and report.breach is not None:
        try:
            breach = CapBreach.model_validate({**report.breach, "at_seconds": round(outcome.duration_seconds, 3)})
        except ValidationError:
            pass
        else:
            return _cap(breach)
    if report.state == "error":
        return Verdict("failed", error_class=report.error_class, error_message=report.message)
    if outcome.exit_code == 0:
        return Verdict(
            "failed",
            error_class="ResultMissing",
            error_message=f"exited 0 but left no valid result ({report.state}: {report.message or ''})",
        )
    return Verdict("failed", error_class=_failure_class(outcome), error_message=_failure_message(outcome))


def _failure_class(outcome: Outcome) -> str:
    return "KilledBySignal" if outcome.signal is not None else "NonZeroExit"


def _failure_message(outcome: Outcome) -> str:
    if outcome.signal is not None:
        name = signal.Signals(outcome.signal).name
        hint = ""
        if outcome.signal == signal.SIGKILL and not outcome.sigkill_sent:
            hint = " (not sent by the executor: often the kernel or container OOM killer)"
        message = f"killed by {name}{hint}"
    else:
        message = f"exited with status {outcome.exit_code}"
    last = _last_line(outcome.streams["stderr"].tail)
    return f"{message}: {last}" if last else message


def _last_line(tail: bytes) -> str:
    lines = [line for line in tail.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1][:500] if lines else ""
