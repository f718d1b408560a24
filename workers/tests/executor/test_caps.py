"""Every executor-level cap, breached by a real phase, is reported as cap_exceeded with the cap,
its limit and the measured value, and the phase is gone within the documented enforcement bound
(poll interval + kill grace + scheduling slack, PhaseCaps.enforcement_bound, docs/caps.md)."""

from __future__ import annotations

import signal
import sys
import time

from .helpers import FAST, MiB, PhaseHarness, assert_group_gone, python_phase, run, shell_phase, stamp

PY = sys.executable


def test_wall_time_breach_is_stopped_even_when_sigterm_is_ignored(harness: PhaseHarness) -> None:
    spec = shell_phase(["bash", "-c", "trap '' TERM; sleep 30"], wall_seconds=1, **FAST)

    result, elapsed, bound = run(spec, harness)

    assert result.status == "cap_exceeded"
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit, result.breach.unit) == ("wall_time", 1.0, "seconds")
    assert result.breach.measured >= 1.0
    assert result.signal == signal.SIGKILL  # SIGTERM was ignored, so the grace ran out
    assert elapsed <= 1.0 + bound
    assert_group_gone(harness)


def test_cpu_time_breach_is_reported_with_the_cpu_used(harness: PhaseHarness) -> None:
    spec = shell_phase([PY, "-c", "while True: pass"], cpu_seconds=1, **FAST)

    result, _, bound = run(spec, harness)

    assert result.status == "cap_exceeded"
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit, result.breach.unit) == ("cpu_time", 1.0, "cpu_seconds")
    assert result.breach.measured >= 1.0
    # single-threaded, so CPU seconds accrue no faster than wall seconds during detection + grace
    assert result.cpu_seconds <= 1.0 + bound
    assert_group_gone(harness)


def test_cpu_time_breach_is_stopped_when_sigxcpu_and_sigterm_are_ignored(harness: PhaseHarness) -> None:
    code = (
        "import signal\nfor s in (signal.SIGTERM, signal.SIGXCPU): signal.signal(s, signal.SIG_IGN)\nwhile True: pass\n"
    )
    spec = shell_phase([PY, "-c", code], cpu_seconds=1, **FAST)

    result, _, bound = run(spec, harness)

    assert result.status == "cap_exceeded"
    assert result.breach is not None
    assert result.breach.cap == "cpu_time"
    assert result.signal == signal.SIGKILL
    assert result.cpu_seconds <= 1.0 + bound
    assert_group_gone(harness)


def test_memory_breach_in_a_python_phase_is_cap_exceeded_not_a_failure(harness: PhaseHarness) -> None:
    limit, step = 200 * MiB, 8 * MiB
    spec = python_phase("grow", {"steps": 100, "step_bytes": step}, memory_bytes=limit, **FAST)

    result, _, _ = run(spec, harness)

    assert result.status == "cap_exceeded", result.error_message
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit, result.breach.unit) == ("memory", limit, "bytes")
    # RLIMIT_AS refused the step that would have crossed the limit: the peak is within a step or two of it
    assert limit - 3 * step <= result.breach.measured <= limit
    assert result.error_class == "CapExceeded"
    assert_group_gone(harness)


def test_memory_breach_summed_across_processes_is_caught(harness: PhaseHarness) -> None:
    # Each child stays under the per-process RLIMIT_AS; only the group's total crosses the cap.
    child = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "b = bytearray(100 * 2**20); print('allocated', time.monotonic(), flush=True); time.sleep(60)"
    )
    script = f"trap '' TERM; for i in 1 2 3; do {PY} -c \"{child}\" & done; wait"
    limit = 200 * MiB
    spec = shell_phase(["bash", "-c", script], memory_bytes=limit, **FAST)

    result, _, bound = run(spec, harness)
    done = time.monotonic()

    assert result.status == "cap_exceeded"
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit) == ("memory", limit)
    assert result.breach.measured > limit
    assert "resident memory of the process group" in result.breach.detail
    # from the moment the group held more than the cap (at the latest: the last allocation)
    assert done - stamp(harness.stdout(), "allocated") <= bound
    assert_group_gone(harness)


def test_memory_breach_of_a_non_python_program_is_attributed_to_memory(harness: PhaseHarness) -> None:
    limit = 200 * MiB
    script = "x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo ${#x}"
    spec = shell_phase(["bash", "-c", script], memory_bytes=limit, **FAST)

    result, _, _ = run(spec, harness)

    assert result.status == "cap_exceeded", result.error_message
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit) == ("memory", limit)
    # Two mechanisms enforce the memory cap (docs/caps.md): the kernel's RLIMIT_AS refusal and the
    # group-RSS sampler. Which one fires first depends on scheduling; either must be named.
    assert "RLIMIT_AS" in result.breach.detail or "resident memory" in result.breach.detail
    assert_group_gone(harness)


def test_output_breach_truncates_the_log_at_the_cap_and_stops_the_phase(harness: PhaseHarness) -> None:
    cap = 64 * 1024
    code = (
        "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('started', time.monotonic(), flush=True)\n"
        "while True: sys.stdout.write('x' * 1000 + '\\n')\n"
    )
    spec = shell_phase([PY, "-c", code], output_bytes=cap, **FAST)

    result, _, bound = run(spec, harness)
    done = time.monotonic()

    assert result.status == "cap_exceeded"
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit, result.breach.unit) == ("output_bytes", cap, "bytes")
    assert result.breach.measured > cap
    assert result.stdout_bytes > cap
    log = harness.stdout()
    marker = log[cap:]
    assert log[:cap].count(b"x") > cap // 2
    assert b"output cap of 65536 bytes reached" in marker
    assert len(marker) < 200
    assert done - stamp(log[:cap], "started") <= bound
    assert_group_gone(harness)


def test_python_result_larger_than_its_cap_is_cap_exceeded(harness: PhaseHarness) -> None:
    spec = python_phase("big_result", {"size": 5000}, result_bytes=1000, **FAST)

    result, _, _ = run(spec, harness)

    assert result.status == "cap_exceeded"
    assert result.breach is not None
    assert (result.breach.cap, result.breach.limit) == ("result_bytes", 1000)
    assert result.breach.measured > 5000
    assert result.result is None
