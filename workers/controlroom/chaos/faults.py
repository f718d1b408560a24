"""The faults the harness injects, on a schedule spread over the fault window.

Kinds, cycled in a seeded random order so that every kind occurs when there are at least six faults:
- kill9: SIGKILL of a worker's process group (the supervisor restarts it);
- sigstop: SIGSTOP of a worker for longer than the lease tolerance, then SIGCONT (a zombie that
  wakes up: its attempts must be fenced, its reports refused);
- pg_fast / pg_crash: Postgres restarted with `pg_ctl -m fast` / crashed with `-m immediate`;
- s3_freeze: the S3 endpoint frozen (SIGSTOP) for a while, then thawed;
- api_restart: the HTTP API killed and started again.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from controlroom.chaos.fleet import Fleet
from controlroom.chaos.stack import PrivateStack

KINDS = ("kill9", "pg_fast", "s3_freeze", "sigstop", "api_restart", "pg_crash")


@dataclass
class Fault:
    kind: str
    at: float  # wall clock (time.time()) when injected
    detail: str = ""
    ok: bool = True
    # kill9: the (run_id, attempt_no) the killed worker held, for the kill → re-claim latency
    held: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class FaultPlan:
    count: int
    window_seconds: float
    start_seconds: float = 5.0
    tolerance_seconds: float = 30.0
    stop_past_tolerance_seconds: float = 8.0
    s3_freeze_seconds: float = 8.0
    api_down_seconds: float = 2.0
    pg_down_seconds: float = 2.0
    seed: int = 17

    def schedule(self) -> list[tuple[float, str]]:
        rng = random.Random(self.seed)  # noqa: S311 - a reproducible schedule, not a secret
        kinds: list[str] = []
        while len(kinds) < self.count:
            cycle = list(KINDS)
            rng.shuffle(cycle)
            kinds += cycle
        step = max(0.5, (self.window_seconds - self.start_seconds) / max(1, self.count))
        return [(self.start_seconds + i * step + rng.uniform(0, step / 3), kinds[i]) for i in range(self.count)]


class Injector:
    def __init__(
        self, plan: FaultPlan, stack: PrivateStack, fleet: Fleet, database_url: str, log: Callable[[str], None]
    ) -> None:
        self.plan = plan
        self.stack = stack
        self.fleet = fleet
        self.database_url = database_url
        self.log = log
        self.faults: list[Fault] = []
        self._rng = random.Random(plan.seed + 1)  # noqa: S311 - reproducible choices
        self._stack_lock = threading.Lock()  # one stack-level fault at a time
        self._pending: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._run, name="chaos-injector", daemon=True)
        self.done = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        began = time.monotonic()
        try:
            for offset, kind in self.plan.schedule():
                time.sleep(max(0.0, began + offset - time.monotonic()))
                self._inject(kind)
            for thread in self._pending:
                thread.join()
        finally:
            self.done.set()

    def _later(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._pending.append(thread)

    def _inject(self, kind: str) -> None:
        fault = Fault(kind, time.time())
        try:
            getattr(self, f"_{kind}")(fault)
        except Exception as exc:  # a fault that could not be injected is reported, not fatal
            fault.ok = False
            fault.detail = f"{fault.detail} injection failed: {exc!r}"
        self.faults.append(fault)
        self.log(f"fault {kind}: {fault.detail}")

    def _pick_worker(self) -> int | None:
        live = [s for s in self.fleet.live() if not s.stopped]
        return self._rng.choice(live).index if live else None

    def _held(self, index: int) -> list[tuple[str, int]]:
        ids = self.fleet.executor_ids(self.fleet.slots[index])
        if not ids:
            return []
        try:
            with psycopg.connect(self.database_url, connect_timeout=3) as conn:
                rows = conn.execute(
                    "select run_id::text, attempt_no from public.run_attempts "
                    "where executor_id = any(%s::uuid[]) and status in ('claimed', 'running')",
                    (ids,),
                ).fetchall()
        except psycopg.Error:
            return []  # Postgres is down right now: this kill is not timed
        return [(r[0], int(r[1])) for r in rows]

    def _kill9(self, fault: Fault) -> None:
        index = self._pick_worker()
        if index is None:
            fault.ok, fault.detail = False, "no live worker"
            return
        fault.held = self._held(index)
        fault.at = time.time()
        self.fleet.kill9(self.fleet.slots[index])
        fault.detail = f"worker {index} killed holding {len(fault.held)} run(s)"

    def _sigstop(self, fault: Fault) -> None:
        index = self._pick_worker()
        if index is None:
            fault.ok, fault.detail = False, "no live worker"
            return
        slot = self.fleet.slots[index]
        seconds = self.plan.tolerance_seconds + self.plan.stop_past_tolerance_seconds
        self.fleet.freeze(slot, signal.SIGSTOP)
        fault.detail = f"worker {index} stopped for {seconds:g} s"

        def resume() -> None:
            time.sleep(seconds)
            self.fleet.freeze(slot, signal.SIGCONT)

        self._later(resume)

    def _pg_fast(self, fault: Fault) -> None:
        with self._stack_lock:
            self.stack.postgres_stop("fast")
            time.sleep(self.plan.pg_down_seconds)
            self.stack.postgres_start()
        fault.detail = f"Postgres fast restart, down {self.plan.pg_down_seconds:g} s"

    def _pg_crash(self, fault: Fault) -> None:
        with self._stack_lock:
            self.stack.postgres_stop("immediate")
            time.sleep(self.plan.pg_down_seconds)
            self.stack.postgres_start()
        fault.detail = f"Postgres crash (immediate) and recovery, down {self.plan.pg_down_seconds:g} s"

    def _s3_freeze(self, fault: Fault) -> None:
        self.stack.s3_signal(signal.SIGSTOP)
        fault.detail = f"S3 frozen for {self.plan.s3_freeze_seconds:g} s"

        def thaw() -> None:
            time.sleep(self.plan.s3_freeze_seconds)
            self.stack.s3_signal(signal.SIGCONT)

        self._later(thaw)

    def _api_restart(self, fault: Fault) -> None:
        with self._stack_lock:
            self.stack.api_restart(self.plan.api_down_seconds)
        fault.detail = f"API killed and restarted, down {self.plan.api_down_seconds:g} s"
