"""`python -m controlroom.gateway`: the Data API on PGRST_SERVER_HOST:PGRST_SERVER_PORT."""

from __future__ import annotations

import sys

from controlroom.gateway import proxy, server
from controlroom.gateway.config import ConfigError, GatewayConfig


def main() -> int:
    try:
        config = GatewayConfig.from_env()
    except ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    binary = proxy.postgrest_binary()
    main = proxy.main(config, binary) if binary is not None else server.main(config)
    try:
        import uvloop
    except ImportError:  # uvloop is a speed-up, not a requirement
        import asyncio

        asyncio.run(main)
    else:
        uvloop.run(main)
    return 0


if __name__ == "__main__":
    sys.exit(main())
