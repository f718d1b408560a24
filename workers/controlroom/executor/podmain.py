"""`controlroom pod-run --plan s3://…`: what a run's pod does (pod per run, executor/podrun_execution.py).

It reads the plan the executor wrote, runs the phases in order with the same runner and caps as an
executor's own subprocesses (the first one that does not succeed ends the run), writes the outcome next to
the plan, and exits with the failing phase's exit status (0 when all succeeded). It talks to S3 only, with
the run's vended credentials from its environment; it has no control-plane token. The phases' stdout and
stderr go to the container's log, which the executor stores with the run.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO

from pydantic import JsonValue

from controlroom.artifacts import s3_client
from controlroom.executor.podplan import PodEvent, PodOutcome, PodPlan, exit_code_of, outcome_key
from controlroom.phases.context import PhaseContext
from controlroom.phases.models import EventLevel, PhaseResult
from controlroom.phases.runner import run_phase

# What the phases see: the data plane's coordinates and the run's vended credentials (as in-process).
PHASE_ENV = (
    "S3_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "CONTROLROOM_BUCKET",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)
EXIT_NO_PLAN = 70  # EX_SOFTWARE: the plan could not be read; the executor reports the pod's failure


class _Stream:
    """A LogSink over the container's stdout or stderr."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def write(self, data: bytes, /) -> None:
        self.stream.write(data)
        self.stream.flush()


def split_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ValueError(f"--plan must be s3://bucket/key, not {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def run_plan(plan: PodPlan, cancel: threading.Event, root: Path) -> PodOutcome:
    env = {k: v for k in PHASE_ENV if (v := os.environ.get(k))}
    events: list[PodEvent] = []
    results: list[PhaseResult] = []
    for planned in plan.phases:
        name = planned.runtime.name

        def on_event(
            type_: str, level: EventLevel, message: str, payload: dict[str, JsonValue], phase: str = name
        ) -> None:
            events.append(PodEvent(type=type_, level=level, message=message[:10_000], phase=phase, payload=payload))

        workdir = root / name
        workdir.mkdir(mode=0o700)
        ctx = PhaseContext(
            workdir=workdir,
            cancel=cancel,
            on_event=on_event,
            stdout=_Stream(sys.stdout.buffer),
            stderr=_Stream(sys.stderr.buffer),
            env=env,
        )
        result = run_phase(planned.runtime, ctx)
        results.append(result)
        if result.status != "succeeded":
            break
    return PodOutcome(results=results, events=events)


def main(plan_uri: str) -> int:
    # Deleting the Job (cancel, the executor's timer) sends SIGTERM: the running phase is stopped as an
    # executor stops it, within its kill grace.
    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    bucket, key = split_uri(plan_uri)
    s3 = s3_client(os.environ.get("S3_ENDPOINT_URL") or None, os.environ.get("AWS_REGION") or None)
    try:
        plan = PodPlan.model_validate_json(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception as exc:  # any reason: said on stderr; the exit status tells the executor
        print(f"controlroom pod-run: cannot read the plan {plan_uri}: {exc}", file=sys.stderr)
        return EXIT_NO_PLAN
    with tempfile.TemporaryDirectory(prefix="controlroom-run-") as root:
        outcome = run_plan(plan, cancel, Path(root))
    s3.put_object(
        Bucket=bucket, Key=outcome_key(key), Body=outcome.model_dump_json().encode(), ContentType="application/json"
    )
    return exit_code_of(outcome)
