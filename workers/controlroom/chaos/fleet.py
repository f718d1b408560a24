"""M `controlroom worker` processes under a supervisor that restarts a worker only when it fails.

Like systemd's Restart=on-failure: a worker killed by a signal or exiting non-zero is started again
after a short delay; one that exits 0 stays down. Every exit the harness did not cause itself is
recorded: a worker must never exit on its own during an outage.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Exit:
    slot: int
    code: int
    at: float
    induced: bool  # the harness killed it (kill -9)
    log: str


@dataclass
class Slot:
    index: int
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    incarnation: int = 0
    killed_by_harness: bool = False
    stopped: bool = False  # SIGSTOPped by the harness right now
    restart_at: float | None = None
    executor_ids: list[str] = field(default_factory=list)


class Fleet:
    def __init__(
        self,
        size: int,
        *,
        env: dict[str, str],
        pool: str,
        concurrency: int,
        log_dir: Path,
        restart_delay: float = 1.0,
    ) -> None:
        self.env = env
        self.pool = pool
        self.concurrency = concurrency
        self.log_dir = log_dir
        self.restart_delay = restart_delay
        self.slots = [Slot(i) for i in range(size)]
        self.exits: list[Exit] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="chaos-supervisor", daemon=True)

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for slot in self.slots:
            self._spawn(slot)
        self._thread.start()

    def _spawn(self, slot: Slot) -> None:
        slot.incarnation += 1
        slot.log = self.log_dir / f"worker-{slot.index}-{slot.incarnation}.log"
        with open(slot.log, "wb") as out:
            slot.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "controlroom.cli",
                    "worker",
                    "--pool",
                    self.pool,
                    "--concurrency",
                    str(self.concurrency),
                    "--grace",
                    "5",
                ],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        slot.killed_by_harness = False
        slot.restart_at = None

    def _supervise(self) -> None:
        while not self._stop.wait(0.2):
            now = time.monotonic()
            with self._lock:
                for slot in self.slots:
                    if slot.proc is None:
                        continue
                    if slot.restart_at is not None:
                        if now >= slot.restart_at:
                            self._spawn(slot)
                        continue
                    code = slot.proc.poll()
                    if code is None:
                        continue
                    self._read_ids(slot)
                    self.exits.append(Exit(slot.index, code, time.time(), slot.killed_by_harness, str(slot.log)))
                    if code != 0:  # Restart=on-failure: a signal or a non-zero exit
                        slot.restart_at = now + self.restart_delay
                    else:
                        slot.proc = None

    def _read_ids(self, slot: Slot) -> None:
        if slot.log is None or not slot.log.exists():
            return
        for line in slot.log.read_text(errors="replace").splitlines():
            if '"executor.registered"' in line:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                executor = str(record.get("executor_id", ""))
                if executor and executor not in slot.executor_ids:
                    slot.executor_ids.append(executor)

    def executor_ids(self, slot: Slot) -> list[str]:
        with self._lock:
            self._read_ids(slot)
            return list(slot.executor_ids)

    def live(self) -> list[Slot]:
        with self._lock:
            return [s for s in self.slots if s.proc is not None and s.proc.poll() is None and s.restart_at is None]

    def kill9(self, slot: Slot) -> bool:
        with self._lock:
            if slot.proc is None or slot.proc.poll() is not None:
                return False
            slot.killed_by_harness = True
            os.killpg(slot.proc.pid, signal.SIGKILL)
            return True

    def freeze(self, slot: Slot, sig: signal.Signals) -> None:
        with self._lock:
            if slot.proc is not None and slot.proc.poll() is None:
                os.killpg(slot.proc.pid, sig)
                slot.stopped = sig == signal.SIGSTOP

    def stop(self) -> None:
        """Ends the suite: SIGTERM every worker (drain), then SIGKILL what is left."""
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            procs = [s.proc for s in self.slots if s.proc is not None and s.proc.poll() is None]
            for slot in self.slots:
                if slot.proc is not None and slot.proc.poll() is None:
                    os.killpg(slot.proc.pid, signal.SIGCONT)
                    os.killpg(slot.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def own_exits(self) -> list[Exit]:
        with self._lock:
            return [e for e in self.exits if not e.induced]
