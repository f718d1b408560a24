"""A stop signal that lands while the worker is writing a log line must not deadlock it.

The child process logs without pause through a deliberately slow stream, so it spends nearly all
its time holding the log's lock; signals sent to it then land mid-write. A handler that logged
(or set an Event) from the signal handler would wait forever for the lock its own thread holds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from controlroom.executor.signals import on_stop

CHILD = r"""
import sys, time
from controlroom.client.control_plane import ControlPlane
from controlroom.client.transport import Transport
from controlroom.executor.logs import JsonLog
from controlroom.executor.loop import Executor, ExecutorOptions
from controlroom.executor.signals import on_stop

class SlowStream:
    # Slow enough that a signal almost always arrives during a write (under the log's lock).
    def write(self, text):
        time.sleep(0.002)
        sys.stderr.write(text)
    def flush(self):
        sys.stderr.flush()

log = JsonLog(SlowStream())
plane = ControlPlane(Transport("http://127.0.0.1:9", "unused-key"))  # never called
executor = Executor(plane, None, ExecutorOptions(pool="signals"), log)
with on_stop(executor.handle_signal):
    print("ready", flush=True)
    while True:
        log("busy", detail="x" * 200)
"""


def test_a_signal_storm_during_heavy_logging_does_not_deadlock() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        for _ in range(200):
            if proc.poll() is not None:
                break
            os.kill(proc.pid, signal.SIGTERM)
            time.sleep(0.003)  # back-to-back signals coalesce into one pending signal
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            raise AssertionError("the worker deadlocked on a signal that arrived during a log write") from None
        # First SIGTERM drains, the second exits at once with 128 + SIGTERM.
        assert code == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def test_the_handlers_are_restored_when_the_scope_ends() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    seen: list[tuple[signal.Signals, int]] = []
    with on_stop(lambda sig, n: seen.append((sig, n))):
        assert signal.getsignal(signal.SIGTERM) not in before
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
    assert seen == [(signal.SIGINT, 1)]
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
