"""What the worker does to itself at startup so that phase code cannot read its secrets.

/proc/<pid>/environ shows the environment the process was exec'ed with, not os.environ, so
deleting a secret from os.environ does not hide it there. Marking the process non-dumpable does:
the kernel then makes /proc/<pid>/{environ,mem,maps,fd,…} owned by root and refuses ptrace by
same-uid processes. Deleting from os.environ still matters: it keeps secrets out of anything the
worker spawns or logs later. The executor token can come from a file (mode 0600) instead of the
environment, which a phase running as another uid cannot read.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import stat
import sys
from pathlib import Path

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3

# Read once at startup, then removed from the worker's environment.
SECRET_ENV_VARS = (
    "CONTROLROOM_TOKEN",
    "SUPABASE_JWT_SECRET",
    "SUPABASE_SERVICE_ROLE_KEY",
    "DATABASE_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "CONTROLROOM_EXECUTOR_AWS_ACCESS_KEY_ID",
    "CONTROLROOM_EXECUTOR_AWS_SECRET_ACCESS_KEY",
)


class HardeningError(RuntimeError):
    """The worker could not protect itself (e.g. a token file others can read)."""


def _prctl(option: int, arg: int) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    result: int = libc.prctl(option, arg, 0, 0, 0)
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


def make_non_dumpable() -> bool:
    """prctl(PR_SET_DUMPABLE, 0); True when it took effect (Linux only, a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return False
    _prctl(PR_SET_DUMPABLE, 0)
    return _prctl(PR_GET_DUMPABLE, 0) == 0


def scrub_secrets(names: tuple[str, ...] = SECRET_ENV_VARS) -> list[str]:
    """Remove the secrets from os.environ (and so from the C environ block); returns the names removed."""
    removed = [name for name in names if name in os.environ]
    for name in removed:
        del os.environ[name]  # os.environ's __delitem__ also calls unsetenv()
    return removed


def read_token_file(path: Path) -> str:
    """The executor token from a file that only the worker's user may read (0600 or stricter)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise HardeningError(f"cannot open CONTROLROOM_TOKEN_FILE {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise HardeningError(f"CONTROLROOM_TOKEN_FILE {path} is not a regular file")
        if info.st_mode & 0o077:
            raise HardeningError(
                f"CONTROLROOM_TOKEN_FILE {path} has mode {stat.S_IMODE(info.st_mode):04o}; "
                f"it must not be readable by group or others (chmod 600 {path})"
            )
        token = file.read(64 * 1024).decode().strip()
    if not token:
        raise HardeningError(f"CONTROLROOM_TOKEN_FILE {path} is empty")
    return token
