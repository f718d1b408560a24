"""Turn a phase spec into a command line and environment, for either kind.

Both kinds start through a small Python entry point that applies the kernel rlimits inside the
child before anything else runs (see rlimits.py for why not preexec_fn).
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import controlroom
from controlroom.phases.identity import PhaseIdentity
from controlroom.phases.models import PhaseCaps, PythonPhase, ShellPhase

# Only these are inherited from the executor: its own environment holds the executor's JWT and
# storage credentials, which a phase must not see unless the caller passes them in ctx.env.
INHERITED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")

_PACKAGE_ROOT = str(Path(controlroom.__file__).resolve().parents[1])


def rlimit_cpu_soft(caps: PhaseCaps) -> int:
    return max(1, math.ceil(caps.cpu_seconds))  # RLIMIT_CPU has whole-second resolution


def rlimit_args(caps: PhaseCaps) -> list[str]:
    cpu_soft = rlimit_cpu_soft(caps)
    # The hard limit (SIGKILL from the kernel) backs up the soft one (SIGXCPU) by the kill grace,
    # so a phase that ignores SIGXCPU is still stopped even if /proc sampling saw nothing.
    cpu_hard = cpu_soft + math.ceil(caps.kill_grace_seconds) + 1
    args = ["--cpu", str(cpu_soft), "--cpu-hard", str(cpu_hard)]
    if caps.rlimit_as:
        args += ["--as", str(caps.rlimit_as)]
    return args


def phase_env(spec: PythonPhase | ShellPhase, extra: Mapping[str, str], home: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in INHERITED_ENV}
    if home is not None:
        # A phase running as its own uid cannot use the worker's HOME or share its temp space:
        # both point into the run's private directory.
        env["HOME"] = env["TMPDIR"] = str(home)
    env.update(extra)
    env.update(spec.env)
    # The entry points are modules of this package; make it importable even from a source checkout.
    paths = [*spec.pythonpath] if isinstance(spec, PythonPhase) else []
    env["PYTHONPATH"] = os.pathsep.join([*paths, _PACKAGE_ROOT])
    env["PYTHONUNBUFFERED"] = "1"  # logs stream as they are written, not at exit
    env["CONTROLROOM_PHASE"] = spec.name
    return env


def python_argv(python: str, spec: PythonPhase, params: Path, result: Path) -> list[str]:
    return [
        python,
        "-m",
        "controlroom.phases.pyentry",
        spec.entrypoint,
        "--params",
        str(params),
        "--result",
        str(result),
        *rlimit_args(spec.caps),
    ]


def shell_argv(python: str, spec: ShellPhase) -> list[str]:
    return [python, "-m", "controlroom.phases.rlimits", *rlimit_args(spec.caps), "--", *spec.argv]


def unreachable_reason(python: str, identity: PhaseIdentity) -> str | None:
    """Why a phase running as `identity` cannot start `python` and import this package (None: it can).

    Checked once at worker startup, so that a worker whose interpreter, virtualenv or package is
    private to its own user (a Python under /root, say) refuses to start with the reason, instead
    of failing every run."""
    env = {k: v for k, v in os.environ.items() if k in INHERITED_ENV} | {"PYTHONPATH": _PACKAGE_ROOT}
    argv = [python, "-c", "import controlroom.phases.pyentry"]
    try:
        done = subprocess.run(
            argv,
            env=env,
            cwd="/",
            user=identity.uid,
            group=identity.gid,
            extra_groups=[],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"uid {identity.uid} cannot start {python}: {exc}"
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return f"uid {identity.uid} cannot import controlroom with {python} (exit {done.returncode}): {tail[0]}"
    return None
