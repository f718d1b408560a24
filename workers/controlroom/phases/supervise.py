"""Run one command in its own process group under the executor-level caps.

Single-threaded by design: one loop multiplexes the two output pipes (select), the /proc
samples, the deadlines and the cancel flag, so there is no pump thread that could outlive the
phase or block on a pipe held open by a stray process. Knows nothing about phase kinds.
"""

from __future__ import annotations

import contextlib
import math
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from controlroom.phases.identity import PhaseIdentity
from controlroom.phases.models import CapBreach, CapName, PhaseCaps
from controlroom.phases.procfs import GroupUsage
from controlroom.phases.sinks import LogSink

READ_CHUNK = 64 * 1024
TAIL_BYTES = 4096
# After the leader is gone and its group is empty, how long to keep reading a pipe that a process
# which left the group (setsid) still holds open, before closing our end.
STRAY_DRAIN_SECONDS = 0.5

# Process groups of the phases running in this process, so that an executor told to exit *now*
# (a second SIGTERM) can kill them before it goes, instead of leaving orphans behind.
_LIVE_GROUPS: set[int] = set()


def kill_live_phase_groups(sig: signal.Signals = signal.SIGKILL) -> int:
    """Signal every running phase's process group; returns how many were signalled."""
    groups = list(_LIVE_GROUPS)
    for pgid in groups:
        _signal_group(pgid, sig)
    return len(groups)


Stream = Literal["stdout", "stderr"]
StopReason = CapBreach | Literal["cancelled", "leftovers"]


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: Mapping[str, str]
    cwd: Path
    caps: PhaseCaps
    identity: PhaseIdentity | None = None  # run as this uid/gid (no supplementary groups)


@dataclass
class StreamStats:
    sink: LogSink
    byte_count: int = 0
    lines: int = 0
    tail: bytes = b""

    def note(self, data: bytes) -> None:
        self.byte_count += len(data)
        self.lines += data.count(b"\n")
        self.tail = (self.tail + data)[-TAIL_BYTES:]


@dataclass(frozen=True)
class Outcome:
    pid: int
    exit_code: int | None
    signal: int | None
    duration_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    peak_vsize_bytes: int
    streams: dict[Stream, StreamStats]
    breach: CapBreach | None
    cancelled: bool
    leftovers_stopped: bool
    sigkill_sent: bool


@dataclass
class _State:
    t0: float
    usage: GroupUsage
    streams: dict[Stream, StreamStats]
    logged: int = 0  # bytes handed to sinks, stdout+stderr; never above the output cap
    stop: StopReason | None = None
    kill_at: float | None = None
    sigkill_sent: bool = False
    wait_status: int | None = None
    rusage_cpu: float = 0.0
    rusage_maxrss: int = 0
    drain_until: float | None = None
    sampled_at: float = -math.inf
    reaped_at: float = math.inf
    files: dict[int, tuple[Stream, IO[bytes]]] = field(default_factory=dict)


class SpawnError(Exception):
    """The phase process could not be started (missing interpreter, bad cwd, fork failure)."""


def run_supervised(
    launch: Launch,
    *,
    cancel: Callable[[], bool],
    stdout: LogSink,
    stderr: LogSink,
    on_spawn: Callable[[int], None],
) -> Outcome:
    ids = launch.identity
    try:
        # The uid/gid switch is done by subprocess's C child code between fork and exec (setgroups,
        # setregid, setreuid): no Python runs in the forked child, unlike with preexec_fn.
        proc = subprocess.Popen(
            launch.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=launch.cwd,
            env=dict(launch.env),
            start_new_session=True,  # own session and process group: signals reach the whole tree
            user=ids.uid if ids else None,
            group=ids.gid if ids else None,
            extra_groups=[] if ids else None,
        )
    except OSError as exc:
        raise SpawnError(f"cannot start the phase process: {exc}") from exc
    state = _State(
        t0=time.monotonic(),
        usage=GroupUsage(pgid=proc.pid),
        streams={"stdout": StreamStats(stdout), "stderr": StreamStats(stderr)},
    )
    _LIVE_GROUPS.add(proc.pid)
    try:
        on_spawn(proc.pid)
        _loop(proc, launch.caps, state, cancel)
    except BaseException:
        # A failing sink or callback, or KeyboardInterrupt: leave nothing running behind us.
        _signal_group(proc.pid, signal.SIGKILL)
        if state.wait_status is None:
            proc.wait()
        raise
    finally:
        _LIVE_GROUPS.discard(proc.pid)
        for _, file in state.files.values():
            file.close()
    return _outcome(proc.pid, state)


def _loop(proc: subprocess.Popen[bytes], caps: PhaseCaps, state: _State, cancel: Callable[[], bool]) -> None:
    pipes: tuple[tuple[Stream, IO[bytes] | None], ...] = (("stdout", proc.stdout), ("stderr", proc.stderr))
    with selectors.DefaultSelector() as selector:
        for name, file in pipes:
            assert file is not None
            state.files[file.fileno()] = (name, file)
            selector.register(file.fileno(), selectors.EVENT_READ)
        wall_deadline = state.t0 + caps.wall_seconds
        next_poll = state.t0
        while True:
            now = time.monotonic()
            wake = min(next_poll, wall_deadline if state.stop is None else math.inf, state.kill_at or math.inf)
            timeout = max(0.0, min(wake - now, caps.poll_interval_seconds))
            if selector.get_map():
                for key, _ in selector.select(timeout):
                    _read(int(key.fd), selector, caps, state)
            else:
                time.sleep(timeout)
            now = time.monotonic()
            if state.wait_status is None:
                _try_reap(proc, state)
            if state.wait_status is None:  # still running: the checks that only make sense then
                _check_running(proc.pid, caps, state, cancel, now, wall_deadline)
            # Sample on schedule, and once right after the leader is reaped so that the decision
            # "anything left in the group?" never rests on a sample that still saw the leader.
            if now >= next_poll or state.sampled_at < state.reaped_at:
                next_poll = now + caps.poll_interval_seconds
                state.sampled_at = time.monotonic()
                _sample(caps, state)
            if state.kill_at is not None and now >= state.kill_at:
                _signal_group(proc.pid, signal.SIGKILL)
                state.sigkill_sent = True
                state.kill_at = None
            if state.wait_status is not None and _finished(proc.pid, selector, caps, state, now):
                return


def _check_running(
    pgid: int, caps: PhaseCaps, state: _State, cancel: Callable[[], bool], now: float, wall_deadline: float
) -> None:
    if cancel():
        _stop(pgid, "cancelled", caps, state, now)
    if now >= wall_deadline:
        detail = "wall-clock time since spawn reached the cap"
        _stop_for(state, caps, "wall_time", caps.wall_seconds, now - state.t0, detail)


def _read(fd: int, selector: selectors.BaseSelector, caps: PhaseCaps, state: _State) -> None:
    name, file = state.files[fd]
    data = os.read(fd, READ_CHUNK)
    if not data:
        selector.unregister(fd)
        file.close()
        del state.files[fd]
        return
    stats = state.streams[name]
    stats.note(data)
    room = caps.output_bytes - state.logged
    if room > 0:
        stats.sink.write(data[:room])
        state.logged += min(room, len(data))
    total = sum(s.byte_count for s in state.streams.values())
    if total > caps.output_bytes and state.stop is None:
        stats.sink.write(f"\n[controlroom: output cap of {caps.output_bytes} bytes reached; phase stopped]\n".encode())
        detail = "stdout+stderr bytes reached the cap; the log is truncated at the cap"
        _stop_for(state, caps, "output_bytes", caps.output_bytes, total, detail)


def _sample(caps: PhaseCaps, state: _State) -> None:
    rss = state.usage.sample()
    if state.stop is not None or state.wait_status is not None:
        return  # once the leader has exited, its outcome stands; leftovers are stopped regardless
    if rss > caps.memory_bytes:
        detail = f"resident memory of the process group ({state.usage.live} processes) exceeded the cap"
        _stop_for(state, caps, "memory", caps.memory_bytes, rss, detail)
    elif (cpu := state.usage.cpu_seconds) > caps.cpu_seconds:
        detail = "user+system CPU of the process group exceeded the cap"
        _stop_for(state, caps, "cpu_time", caps.cpu_seconds, cpu, detail)


def _stop_for(state: _State, caps: PhaseCaps, cap: CapName, limit: float, measured: float, detail: str) -> None:
    now = time.monotonic()
    unit = {"wall_time": "seconds", "cpu_time": "cpu_seconds"}.get(cap, "bytes")
    breach = CapBreach.model_validate(
        {
            "cap": cap,
            "limit": limit,
            "measured": measured,
            "unit": unit,
            "detail": detail,
            "at_seconds": round(now - state.t0, 3),
        }
    )
    _stop(state.usage.pgid, breach, caps, state, now)


def _stop(pgid: int, reason: StopReason, caps: PhaseCaps, state: _State, now: float) -> None:
    """SIGTERM the group now, SIGKILL it after the grace. The first reason wins."""
    if state.stop is not None:
        return
    state.stop = reason
    _signal_group(pgid, signal.SIGTERM)
    state.kill_at = now + caps.kill_grace_seconds


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    # Gone already (PermissionError: only zombies left, on some kernels) is not an error here.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _try_reap(proc: subprocess.Popen[bytes], state: _State) -> None:
    pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
    if pid == 0:
        return
    state.wait_status = status
    state.reaped_at = time.monotonic()
    state.rusage_cpu = rusage.ru_utime + rusage.ru_stime  # includes descendants the leader reaped
    state.rusage_maxrss = rusage.ru_maxrss * 1024  # KiB on Linux
    proc.returncode = os.waitstatus_to_exitcode(status)  # we reaped it; keep Popen consistent


def _finished(pgid: int, selector: selectors.BaseSelector, caps: PhaseCaps, state: _State, now: float) -> bool:
    if state.usage.live > 0:
        # The leader is gone but part of its tree is not: a phase never outlives its leader.
        _stop(pgid, "leftovers", caps, state, now)
        return False
    if not selector.get_map():
        return True
    if state.drain_until is None:
        state.drain_until = now + STRAY_DRAIN_SECONDS
    return now >= state.drain_until


def _outcome(pid: int, state: _State) -> Outcome:
    assert state.wait_status is not None
    code = os.waitstatus_to_exitcode(state.wait_status)
    stop = state.stop
    return Outcome(
        pid=pid,
        exit_code=code if code >= 0 else None,
        signal=-code if code < 0 else None,
        duration_seconds=time.monotonic() - state.t0,
        cpu_seconds=max(state.usage.cpu_seconds, state.rusage_cpu),
        peak_rss_bytes=max(state.usage.peak_rss_bytes, state.rusage_maxrss),
        peak_vsize_bytes=state.usage.peak_vsize_bytes,
        streams=state.streams,
        breach=stop if isinstance(stop, CapBreach) else None,
        cancelled=stop == "cancelled",
        leftovers_stopped=stop == "leftovers",
        sigkill_sent=state.sigkill_sent,
    )
