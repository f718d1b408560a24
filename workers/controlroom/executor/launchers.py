"""How a worker runs what it claims (CONTROLROOM_RUN_LAUNCHER, default `process`).

- `process`: each phase is a subprocess of the worker, in the worker's pod (executor/run.py).
- `kubernetes-job`: each run is a Kubernetes Job of its own, with only the run's vended credentials
  (executor/podrun.py, executor/podrun_execution.py; needs the `kubernetes` extra).

Kept apart from executor/podrun.py so that a `process` worker never imports the Kubernetes client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LAUNCHER_PROCESS = "process"
LAUNCHER_KUBERNETES_JOB = "kubernetes-job"
LAUNCHERS = (LAUNCHER_PROCESS, LAUNCHER_KUBERNETES_JOB)


def launcher_from_env(environ: Mapping[str, str] = os.environ) -> str:
    launcher = (environ.get("CONTROLROOM_RUN_LAUNCHER") or LAUNCHER_PROCESS).strip().lower()
    if launcher not in LAUNCHERS:
        raise ValueError(f"CONTROLROOM_RUN_LAUNCHER={launcher!r} must be one of {', '.join(LAUNCHERS)}")
    return launcher
