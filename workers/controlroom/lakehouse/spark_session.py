"""A Spark Connect session whose operations can be stopped: at the engine timeout, and on SIGTERM.

Every operation runs under one tag of the session (Spark Connect's `addTag`; the tag is per thread, so
the work runs in one worker thread that sets it). The main thread waits: when the deadline passes it
interrupts the tag (`interruptTag`, which stops the operations on the server, not merely the client's
wait) and the phase ends `cap_exceeded(query_time)`; when the executor sends SIGTERM (a cancel, a wall or
CPU cap, a shutdown) it interrupts the tag the same way before the process goes, so no orphaned query
keeps running on a shared engine. The session is closed in every case.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

from controlroom.lakehouse.errors import EngineCapExceeded, LakehouseError

with warnings.catch_warnings():
    # pyspark 4.2 warns that pandas 3 is "not yet fully supported"; the phase never converts to pandas.
    warnings.simplefilter("ignore", FutureWarning)
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

T = TypeVar("T")
JOIN_SECONDS = 5.0  # how long the worker thread may take to notice its interrupted operation
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
        with contextlib.suppress(PySparkException, ValueError, OSError):
            spark.stop()  # releases the server-side session and its temporary views


def redact(endpoint: str) -> str:
    """host:port only: the parameters after `/;` may hold a token."""
    return endpoint.split("/;", 1)[0]


class GuardedSession:
    def __init__(self, spark: SparkSession, timeout_seconds: float | None) -> None:
        self.spark = spark
        self.timeout_seconds = timeout_seconds
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

        started = time.monotonic()
        worker = threading.Thread(target=target, name="spark-job", daemon=True)
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            worker.start()
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
        # If this fails, the session is going away anyway; the server drops its operations with it.
        with contextlib.suppress(PySparkException, ValueError, OSError):
            self.spark.interruptTag(self.tag)
        worker.join(JOIN_SECONDS)
