"""A fleet of simulated executors: worker processes (forkserver) × threads, one client each.

Every executor registers before the clock starts; all start together on one event. Modes:
* `poll`: the real executor's idle loop — claim 1 with `controlroom.executor.polling.Backoff`
  (default 100 ms ceiling), and on a claim run the no-op lifecycle (start, one event, complete);
* `drain`: claim up to `claim_batch`, then start → emit one event → complete per run, until a
  claim comes back empty (patient executors back off and claim again instead), the executor's
  quota is done or the time cap passes; `batched` drains
  the same lifecycle with the batched lease calls: claim and start in one call
  (`claim_runs(start => true)`), then complete the whole claim with each run's event in one
  `complete_runs` call;
* `emit`: hold one started run and send batches of `emit_batch` events until the time cap;
* `wake`: the real executor's idle loop with push wake-ups (executor/wakeups.py): subscribed to its
  pool's Realtime topic before the clock starts, it claims when a message names it and otherwise
  only at the fallback interval (`fallback_poll_seconds`, the same adaptive back-off with that
  ceiling), as `controlroom worker` does.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as MpEvent
from typing import Any, Literal

from controlroom import keys
from controlroom.bench.clients import Claimed, ExecutorClient, make_client
from controlroom.bench.stack import StackEnv
from controlroom.executor.logs import JsonLog
from controlroom.executor.polling import Backoff
from controlroom.executor.wakeups import DEFAULT_FALLBACK_POLL_SECONDS, Wakeups, WakeupSource, fallback_wait

Mode = Literal["poll", "drain", "emit", "wake"]


@dataclass(frozen=True)
class FleetJob:
    path: str
    stack: StackEnv
    workspace_id: str
    pool: str
    mode: Mode
    executors: int
    claim_batch: int = 1
    max_seconds: float = 30.0
    quota: int | None = None  # runs per executor (drain)
    emit_batch: int = 1
    processes: int = 4
    batched: bool = False
    fallback_poll_seconds: float = DEFAULT_FALLBACK_POLL_SECONDS
    # drain: an empty claim ends the executor's drain, unless patient (it backs off and claims again
    # until the time cap: a capped workspace answers empty while runs still wait for room)
    patient: bool = False


@dataclass
class ExecutorResult:
    runs: int = 0
    events: int = 0
    first: float = math.inf
    last: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    error: str | None = None
    # wake mode: (run id, when the wake-up that led to its claim arrived, when the claim was sent)
    pickups: list[tuple[str, float, float]] = field(default_factory=list)

    def timed(self, kind: str, call: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        out = call()
        self.latencies.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
        return out


@dataclass
class FleetResult:
    started: float
    results: list[ExecutorResult]

    @property
    def runs(self) -> int:
        return sum(r.runs for r in self.results)

    @property
    def events(self) -> int:
        return sum(r.events for r in self.results)

    @property
    def elapsed(self) -> float:
        end = max((r.last for r in self.results if r.last), default=self.started)
        return max(end - self.started, 1e-9)

    def latencies(self, kind: str) -> list[float]:
        return [x for r in self.results for x in r.latencies.get(kind, [])]

    @property
    def errors(self) -> list[str]:
        return [r.error for r in self.results if r.error]


def _lifecycle(client: ExecutorClient, res: ExecutorResult, lease: str) -> None:
    res.timed("start", lambda: client.start(lease))
    res.timed("emit", lambda: client.emit(lease, [{"type": "bench.noop", "seq": 0, "message": "no-op"}]))
    res.timed("complete", lambda: client.complete(lease))
    res.runs += 1
    res.last = time.time()


def _run_claimed(job: FleetJob, client: ExecutorClient, res: ExecutorResult, claimed: list[Claimed]) -> None:
    """The no-op lifecycle of what a claim returned: batched (claimed with start => true), one
    complete_runs call carrying each run's event, as the worker does; else start, emit and complete
    per run."""
    if not job.batched:
        for c in claimed:
            _lifecycle(client, res, c.lease)
        return
    if claimed:
        items = [{"lease": c.lease, "events": [{"type": "bench.noop", "seq": 0, "message": "no-op"}]} for c in claimed]
        res.timed("complete", lambda: client.complete_many(items))
        res.runs += len(claimed)
        res.last = time.time()


@dataclass
class Listener:
    """One executor's wake-up subscription, the event its messages set and when the last one came."""

    wakeups: Wakeups
    woken: threading.Event
    woken_at: list[float] = field(default_factory=lambda: [0.0])


def _listen(job: FleetJob, client: ExecutorClient, log: JsonLog) -> Listener:
    token = keys.executor_token(job.stack.jwt_secret, pool=job.pool, workspace_id=job.workspace_id)
    source = WakeupSource(job.stack.supabase_url, job.stack.anon_key, token, job.fallback_poll_seconds)
    woken = threading.Event()
    woken_at = [0.0]

    def wake() -> None:
        woken_at[0] = time.time()
        woken.set()

    wakeups = Wakeups(source, job.pool, client.executor_id, wake, log)
    wakeups.start()
    return Listener(wakeups, woken, woken_at)


def _wake_loop(job: FleetJob, client: ExecutorClient, listener: Listener, stop_at: float, res: ExecutorResult) -> None:
    # executor/loop.py's idle loop: the event is cleared before the claim, so a message that
    # arrives while the claim is on the wire causes another claim instead of being lost.
    backoff = Backoff()
    jitter = random.Random()  # noqa: S311 - jitter, not secrecy
    while time.time() < stop_at:
        listener.woken.clear()
        sent = time.time()
        claimed = res.timed("claim", lambda: client.claim(1, job.batched))
        res.pickups.extend((c.run_id, listener.woken_at[0], sent) for c in claimed)
        _run_claimed(job, client, res, claimed)
        if claimed:
            backoff.found_work()
            continue
        wait = fallback_wait(job.fallback_poll_seconds, jitter) if listener.wakeups.subscribed else backoff.idle()
        listener.woken.wait(max(0.0, min(wait, stop_at - time.time())))


def _run_one(
    job: FleetJob,
    client: ExecutorClient,
    lease: str | None,
    stop_at: float,
    res: ExecutorResult,
    listener: Listener | None = None,
) -> None:
    res.first = time.time()
    if job.mode == "wake":
        assert listener is not None
        _wake_loop(job, client, listener, stop_at, res)
    elif job.mode == "poll":
        backoff = Backoff()
        while time.time() < stop_at:
            claimed = res.timed("claim", lambda: client.claim(1, job.batched))
            _run_claimed(job, client, res, claimed)
            if claimed:
                backoff.found_work()
            else:
                time.sleep(backoff.idle())
    elif job.mode == "drain":
        quota = job.quota if job.quota is not None else math.inf
        backoff = Backoff()
        while time.time() < stop_at and res.runs < quota:
            want = int(min(job.claim_batch, quota - res.runs))
            claimed = res.timed("claim", lambda w=want: client.claim(w, job.batched))  # type: ignore[misc]
            if not claimed:
                if not job.patient:
                    break
                # A full cap answers empty while runs wait: back off as the worker's poll does.
                time.sleep(max(0.0, min(backoff.idle(), stop_at - time.time())))
                continue
            backoff.found_work()
            _run_claimed(job, client, res, claimed)
    else:
        assert lease is not None
        seq = 0
        while time.time() < stop_at:
            batch = [
                {
                    "type": "log",
                    "level": "info",
                    "seq": seq + i,
                    "phase": "bench",
                    "message": f"bench event {seq + i}",
                    "payload": {"i": seq + i},
                }
                for i in range(job.emit_batch)
            ]
            seq += job.emit_batch
            res.events += res.timed("emit", lambda b=batch: client.emit(lease, b))  # type: ignore[misc]
            res.last = time.time()


def _hold_lease(client: ExecutorClient) -> str:
    claimed = client.claim(1)
    if not claimed:
        raise RuntimeError("no queued run to hold a lease for emit_events")
    return claimed[0].lease


def _process_main(job: FleetJob, threads: int, ready: mp.Queue[Any], go: MpEvent, out: mp.Queue[Any]) -> None:
    results = [ExecutorResult() for _ in range(threads)]
    clients: list[ExecutorClient] = []
    leases: list[str | None] = []
    listeners: list[Listener | None] = []
    quiet = JsonLog(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    try:
        for _ in range(threads):
            client = make_client(job.path, job.stack, job.workspace_id, job.pool, str(uuid.uuid4()))
            clients.append(client)
            lease = None
            if job.mode == "emit":
                lease = _hold_lease(client)
                client.start(lease)
            leases.append(lease)
            listeners.append(_listen(job, client, quiet) if job.mode == "wake" else None)
    except Exception as exc:
        ready.put(f"error: {exc!r}")
        return
    # Every executor is subscribed before the clock starts, as a worker is before it idles.
    if not all(x is None or x.wakeups.wait_subscribed(60) for x in listeners):
        ready.put("error: an executor could not subscribe to its pool's wake-ups within 60 s")
        return
    ready.put("ready")
    go.wait()
    stop_at = time.time() + job.max_seconds

    def body(i: int) -> None:
        try:
            _run_one(job, clients[i], leases[i], stop_at, results[i], listeners[i])
        except Exception as exc:
            results[i].error = repr(exc)

    workers = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for listener in listeners:
        if listener is not None:
            listener.wakeups.stop()
    for c in clients:
        c.close()
    out.put([r.__dict__ for r in results])


def run_fleet(job: FleetJob, on_start: Callable[[], None] | None = None) -> FleetResult:
    # Forkserver with the client stack preloaded: a fresh interpreter per fleet without paying the
    # imports (supabase-py, pydantic models) every time; no threads are inherited from this process.
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["controlroom.bench.fleet", "controlroom.client.control_plane", "psycopg"])
    nproc = max(1, min(job.processes, job.executors))
    shares = [job.executors // nproc + (1 if i < job.executors % nproc else 0) for i in range(nproc)]
    ready: mp.Queue[Any] = ctx.Queue()
    out: mp.Queue[Any] = ctx.Queue()
    go = ctx.Event()
    procs = [ctx.Process(target=_process_main, args=(job, n, ready, go, out), daemon=True) for n in shares]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            msg = ready.get(timeout=120)
            if msg != "ready":
                raise RuntimeError(f"an executor process failed to start: {msg}")
        started = time.time()
        go.set()
        if on_start is not None:
            on_start()
        collected: list[ExecutorResult] = []
        for _ in procs:
            try:
                batch = out.get(timeout=job.max_seconds + 120)
            except queue.Empty:
                raise RuntimeError("an executor process did not report") from None
            collected.extend(ExecutorResult(**d) for d in batch)
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
    return FleetResult(started=started, results=collected)
