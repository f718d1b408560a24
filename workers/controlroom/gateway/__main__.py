"""`python -m controlroom.gateway`: the Data API on PGRST_SERVER_HOST:PGRST_SERVER_PORT."""

from __future__ import annotations

import os
import signal
import sys

from controlroom.gateway import proxy, server
from controlroom.gateway.config import ConfigError, GatewayConfig
from controlroom.gateway.digits import ascii_int


def main() -> int:
    try:
        config = GatewayConfig.from_env()
    except ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    binary = proxy.postgrest_binary()
    if binary is None:
        _fork_workers(_worker_count())
    main = proxy.main(config, binary) if binary is not None else server.main(config)
    try:
        import uvloop
    except ImportError:  # uvloop is a speed-up, not a requirement
        import asyncio

        asyncio.run(main)
    else:
        uvloop.run(main)
    return 0


def _worker_count() -> int:
    """CONTROLROOM_API_WORKERS, default one process per core: one asyncio process is one core at most."""
    count = ascii_int(os.environ.get("CONTROLROOM_API_WORKERS", ""))
    if count is not None and count >= 1:
        return count
    return max(1, os.cpu_count() or 1)


def _fork_workers(count: int) -> None:
    """Forks count-1 siblings before any event loop exists; all serve the same port (SO_REUSEPORT).

    They share the process group of the first, so stopping the group stops them all, and each
    exits when its parent does (PR_SET_PDEATHSIG), leaving no orphan behind a kill -9.
    """
    parent = os.getpid()
    for _ in range(count - 1):
        if os.fork() == 0:
            _die_with(parent)
            return


def _die_with(parent: int) -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
