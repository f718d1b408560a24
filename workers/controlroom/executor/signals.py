"""SIGTERM/SIGINT handling that cannot deadlock.

A Python signal handler runs in the main thread between two bytecodes, possibly while that thread
holds a non-reentrant lock: the log's lock halfway through a write, or the Condition lock inside
threading.Event.clear()/wait(). A handler that logs or sets an Event would then wait for a lock
its own thread holds, forever. So the handler here does one thing, which takes no lock: it
writes the signal number to a non-blocking pipe. A watcher thread reads the pipe and calls
`on_signal(signum, count)` like any other code, where logging and Events are safe.

Installed and restored as a scope, like procrastinate's `signals.on_stop`:

    with on_stop(executor.handle_signal):
        executor.run()
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def on_stop(on_signal: Callable[[signal.Signals, int], None]) -> Iterator[None]:
    """Calls on_signal(signal, n) from a watcher thread for the n-th stop signal received."""
    read_fd, write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def handler(signum: int, _frame: FrameType | None) -> None:
        # Only an async-signal-safe write: no lock, no allocation that could block on one.
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(write_fd, bytes((signum,)))

    previous: dict[signal.Signals, Any] = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    watcher = threading.Thread(target=_watch, args=(read_fd, on_signal), name="signals", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        os.close(write_fd)  # the watcher reads EOF and ends
        watcher.join(timeout=5)
        os.close(read_fd)


def _watch(read_fd: int, on_signal: Callable[[signal.Signals, int], None]) -> None:
    os.set_blocking(read_fd, True)
    count = 0
    while True:
        try:
            data = os.read(read_fd, 64)
        except OSError:
            return
        if not data:
            return  # the scope ended
        for signum in data:
            count += 1
            on_signal(signal.Signals(signum), count)
