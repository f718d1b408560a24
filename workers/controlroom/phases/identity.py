"""Which uid/gid a phase runs as: never the worker's, never another running run's.

Phase code is hostile (tenants share executor pools). Running it under the worker's uid lets it
read /proc/<worker>/environ, ptrace or signal the worker, and read other runs' files. So when the
worker can change identities (it is root, or holds CAP_SETUID and CAP_SETGID), every run gets a
uid and gid of its own from a reserved range (`CONTROLROOM_PHASE_UID_BASE` .. + COUNT; no passwd
entry is needed) and the child drops to it before exec, without supplementary groups.

A uid is held by a run through an exclusive flock on a file in a directory only the worker's user
can write: several workers on one host (or a worker restarted after kill -9) never hand the same
uid to two live runs, and the kernel releases the lock when a holder dies. Before a uid is handed
out, whatever still runs under it (phases orphaned by a worker that was killed) is killed first.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_UID_BASE = 61000
DEFAULT_UID_COUNT = 1000
_CAP_SETGID = 6
_CAP_SETUID = 7


class IdentityError(RuntimeError):
    """The phase identities cannot be set up safely (bad settings, an unsafe lock directory)."""


@dataclass(frozen=True)
class PhaseIdentity:
    uid: int
    gid: int


def _effective_caps() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    except (OSError, ValueError, IndexError):
        return 0
    return 0


def can_switch_ids() -> bool:
    """Root, or both CAP_SETUID and CAP_SETGID in the effective set."""
    if os.geteuid() == 0:
        return True
    caps = _effective_caps()
    return bool(caps & (1 << _CAP_SETUID)) and bool(caps & (1 << _CAP_SETGID))


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise IdentityError(f"{name}={raw!r} is not an integer") from None


def _real_uid(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def kill_processes_of(uid: int) -> int:
    """SIGKILL every process whose real uid is `uid`; returns how many were signalled.

    Through a pidfd opened before the uid is checked, so a pid reused in between by some other
    process is never signalled (the pidfd still names the process that was checked, or a dead one)."""
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError as exc:
            if exc.errno == errno.ENOSYS and _real_uid(pid) == uid:  # kernel < 5.3: no pidfds
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
            continue
        try:
            if _real_uid(pid) == uid:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                killed += 1
        except OSError:
            pass  # exited meanwhile
        finally:
            os.close(pidfd)
    return killed


class PhaseIdentities:
    """Hands out one identity per running run; thread-safe, and safe across worker processes."""

    def __init__(self, base: int, count: int, lock_dir: Path) -> None:
        if base < 1000 or count < 1 or base + count > 2**31 - 2:
            raise IdentityError(
                f"phase uid range {base}..{base + count - 1} is not a range of unprivileged ids; set "
                "CONTROLROOM_PHASE_UID_BASE (>= 1000) and CONTROLROOM_PHASE_UID_COUNT (>= 1)"
            )
        worker = {os.getuid(), os.geteuid(), os.getgid(), os.getegid()}
        if any(base <= i < base + count for i in worker):
            raise IdentityError(
                f"the phase uid range {base}..{base + count - 1} contains the worker's own uid/gid; "
                "move CONTROLROOM_PHASE_UID_BASE"
            )
        self.base = base
        self.count = count
        self.lock_dir = lock_dir
        self._guard = threading.Lock()
        self._held: dict[int, int] = {}  # uid -> fd of its lock file
        _private_dir(lock_dir)

    @classmethod
    def from_env(cls) -> PhaseIdentities | None:
        """The identities this worker can hand out, or None when it cannot change uid."""
        if not can_switch_ids():
            return None
        base = _int_env("CONTROLROOM_PHASE_UID_BASE", DEFAULT_UID_BASE)
        count = _int_env("CONTROLROOM_PHASE_UID_COUNT", DEFAULT_UID_COUNT)
        lock_dir = os.environ.get("CONTROLROOM_PHASE_UID_LOCK_DIR") or str(
            Path(tempfile.gettempdir()) / f"controlroom-phase-uids-{os.geteuid()}"
        )
        return cls(base, count, Path(lock_dir))

    def acquire(self) -> PhaseIdentity:
        with self._guard:
            for uid in range(self.base, self.base + self.count):
                if uid in self._held:
                    continue
                fd = os.open(
                    self.lock_dir / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
                )
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                # Ours now; anything still running under this uid was left by a dead worker.
                kill_processes_of(uid)
                self._held[uid] = fd
                return PhaseIdentity(uid=uid, gid=uid)
        raise IdentityError(
            f"all {self.count} phase uids from {self.base} are in use on this host; raise CONTROLROOM_PHASE_UID_COUNT"
        )

    def release(self, identity: PhaseIdentity) -> None:
        # A phase never outlives its run: stop whatever the run left under its uid before the
        # uid goes to the next run.
        kill_processes_of(identity.uid)
        with self._guard:
            fd = self._held.pop(identity.uid, None)
        if fd is not None:
            os.close(fd)  # closing the last descriptor releases the flock

    @contextlib.contextmanager
    def held(self) -> Iterator[PhaseIdentity]:
        identity = self.acquire()
        try:
            yield identity
        finally:
            self.release(identity)


def _private_dir(path: Path) -> None:
    """Create `path` (0700) or accept it only if it is ours and nobody else can write to it."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700, parents=False)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise IdentityError(
            f"{path} must be a directory owned by uid {os.geteuid()} that no one else can write to "
            "(it holds the phase uid locks); remove it or set CONTROLROOM_PHASE_UID_LOCK_DIR"
        )
