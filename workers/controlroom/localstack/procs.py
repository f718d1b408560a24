"""Process supervision for the stack's daemons: ports, pid files, start detached, stop for good."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from controlroom.localstack.errors import StackError


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def require_free_port(host: str, port: int, component: str, env_var: str) -> None:
    if not port_is_free(host, port):
        raise StackError(
            f"Cannot start {component}: port {port} on {host} is already in use by another program.",
            f"Stop that program (`ss -ltnp 'sport = :{port}'` shows which one), or choose another port "
            f"with {env_var}=<port> and run the command again.",
        )


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.05)
    return False


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def start_detached(argv: Sequence[str], *, pidfile: Path, logfile: Path, env: dict[str, str] | None = None) -> int:
    """Start a daemon in its own session so that `down` can stop its whole process group."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with open(logfile, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            close_fds=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def start_service(
    argv: Sequence[str],
    *,
    pidfile: Path,
    logfile: Path,
    env: dict[str, str],
    host: str,
    port: int,
    what: str,
    url: str,
    hint: str,
    timeout: float = 30,
) -> None:
    """Starts a detached service and waits until it listens; one that does not is stopped again and
    reported with its log."""
    start_detached(argv, pidfile=pidfile, logfile=logfile, env=env)
    if not wait_for_port(host, port, timeout):
        stop_pidfile(pidfile)
        raise StackError(f"{what} did not start listening on {url} within {timeout:g} s.", hint, log=str(logfile))


def stop_pidfile(pidfile: Path, *, grace: float = 5.0) -> bool:
    """SIGTERM the process group, then SIGKILL after the grace period. Returns True if one ran."""
    pid = read_pid(pidfile)
    if pid is None:
        return False
    was_running = pid_alive(pid)
    if was_running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while pid_alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.05)
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            while pid_alive(pid):
                _reap(pid)
                time.sleep(0.02)
    _reap(pid)
    pidfile.unlink(missing_ok=True)
    return was_running


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
