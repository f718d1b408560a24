"""A Spark Connect session whose operations can be stopped: at the engine timeout, and on SIGTERM.

Every operation runs under one tag of the session (Spark Connect's `addTag`; the tag is per thread, so
the work runs in one worker thread that sets it). The main thread waits: when the deadline passes it
interrupts the tag (`interruptTag`, which stops the operations on the server, not merely the client's
wait) and the phase ends `cap_exceeded(query_time)`; when the executor sends SIGTERM (a cancel, a wall or
CPU cap, a shutdown) it interrupts the tag the same way before the process goes, so no orphaned query
keeps running on a shared engine. The session is closed in every case.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TypeVar

from controlroom.lakehouse.errors import EngineCapExceeded, LakehouseError
from controlroom.phases.pyentry import FAILURE_EXIT

with warnings.catch_warnings():
    # pyspark 4.2 warns that pandas 3 is "not yet fully supported"; the phase never converts to pandas.
    warnings.simplefilter("ignore", FutureWarning)
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

T = TypeVar("T")
JOIN_SECONDS = 0.5  # how long the worker thread may take to notice its interrupted operation
CLOSE_SECONDS = 0.5  # how long releasing the session may take before the phase exits anyway
INTERRUPT_SECONDS = 1.0  # how long the server may take to answer the interrupt
_WAIT_STEP = 0.1


class SparkJobStopped(LakehouseError):
    """The executor stopped the phase (SIGTERM) while Spark operations ran; they were interrupted."""


@contextmanager
def open_session(endpoint: str, conf: dict[str, str]) -> Iterator[SparkSession]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            builder = SparkSession.builder.remote(endpoint)
            for key, value in conf.items():
                builder = builder.config(key, value)
            spark = builder.getOrCreate()
    except (PySparkException, ValueError) as exc:
        raise LakehouseError(f"cannot open a Spark Connect session at {redact(endpoint)}: {exc}") from None
    try:
        yield spark
    finally:
        _close(spark)


def _close(spark: SparkSession) -> None:
    """Release the server-side session (and its temporary views), waiting at most CLOSE_SECONDS: with an
    interrupted operation still running on the server, the release can block, and a stopped phase must
    exit now (the channel closes with the process)."""

    def release() -> None:
        with contextlib.suppress(PySparkException, ValueError, OSError):
            spark.stop()

    closer = threading.Thread(target=release, name="spark-close", daemon=True)
    closer.start()
    closer.join(CLOSE_SECONDS)


def redact(endpoint: str) -> str:
    """host:port only: the parameters after `/;` may hold a token."""
    return endpoint.split("/;", 1)[0]


def process_age_seconds() -> float:
    """Seconds since this process started (from /proc), so the engine timeout counts the phase's start-up
    (imports, connecting) too and always fires before the executor's wall cap, which counts from spawn."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))


class GuardedSession:
    def __init__(self, spark: SparkSession, timeout_seconds: float | None, started: float | None = None) -> None:
        """`started`: time.monotonic() at which the timeout starts counting (default: now)."""
        self.spark = spark
        self.timeout_seconds = timeout_seconds
        self.started = started
        self.tag = f"controlroom-{uuid.uuid4().hex}"
        self._terminated = threading.Event()

    def run(self, work: Callable[[SparkSession], T]) -> T:
        """`work(spark)` in a worker thread under the session's tag; see the module docstring."""
        outcome: dict[str, object] = {}

        def target() -> None:
            try:
                self.spark.addTag(self.tag)
                outcome["value"] = work(self.spark)
            except BaseException as exc:  # handed to the main thread as it is
                outcome["error"] = exc

        started = time.monotonic() if self.started is None else self.started
        worker = threading.Thread(target=target, name="spark-job", daemon=True)
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            worker.start()
            print(f"spark: running under tag {self.tag}", file=sys.stderr, flush=True)
            while worker.is_alive():
                worker.join(_WAIT_STEP)
                elapsed = time.monotonic() - started
                if self._terminated.is_set():
                    self._interrupt(worker)
                    raise SparkJobStopped(
                        f"the phase was stopped after {elapsed:.1f} s; its Spark operations were interrupted"
                    )
                if self.timeout_seconds is not None and elapsed > self.timeout_seconds and worker.is_alive():
                    self._interrupt(worker)
                    raise EngineCapExceeded(
                        "query_time",
                        self.timeout_seconds,
                        round(elapsed, 3),
                        "the Spark operations were interrupted at the engine timeout (by the session's tag) and "
                        "the session closed",
                    )
        finally:
            signal.signal(signal.SIGTERM, previous)
        error = outcome.get("error")
        if isinstance(error, BaseException):
            raise error
        return outcome["value"]  # type: ignore[return-value]

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self._terminated.set()

    def _interrupt(self, worker: threading.Thread) -> None:
        """Send the interrupt for the tag, waiting at most INTERRUPT_SECONDS for the answer (the phase must
        end before the executor's kill). The ids the server names go to the phase's stderr log: the record
        that the engine received it (what it does with a running plan is the engine's; docs/spark.md)."""

        def send() -> None:
            try:
                operations = self.spark.interruptTag(self.tag)
            except (PySparkException, ValueError, OSError) as exc:
                print(f"spark: interrupting tag {self.tag} failed: {exc}", file=sys.stderr, flush=True)
            else:
                print(f"spark: interrupted {len(operations)} operation(s) {operations}", file=sys.stderr, flush=True)

        # Whatever the engine does, this process ends as soon as its result is written: the gRPC channel's
        # threads and pyspark's exit hooks could otherwise hold it past the executor's wall cap (measured:
        # > 3 s under load), turning a reported query_time breach into a wall_time kill. LIFO: this hook
        # runs first; the phase's exit code is then FAILURE_EXIT (the stop is raised as an exception).
        atexit.register(os._exit, FAILURE_EXIT)
        sender = threading.Thread(target=send, name="spark-interrupt", daemon=True)
        sender.start()
        sender.join(INTERRUPT_SECONDS)
        if sender.is_alive():
            print(
                f"spark: no answer to the interrupt of tag {self.tag} within {INTERRUPT_SECONDS:g} s",
                file=sys.stderr,
                flush=True,
            )
        worker.join(JOIN_SECONDS)
