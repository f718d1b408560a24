"""Functions that python-phase tests run in a real subprocess (imported there as `phase_funcs`)."""

from __future__ import annotations

import signal
import sys
import time
from typing import Any


def add(params: dict[str, Any]) -> dict[str, Any]:
    print(f"adding {params['a']} and {params['b']}")
    print("a diagnostic line", file=sys.stderr)
    return {"sum": params["a"] + params["b"], "echo": params}


def fail(params: dict[str, Any]) -> None:
    raise LookupError(f"no such thing: {params['what']}")


def not_json(params: dict[str, Any]) -> object:
    return {"when": object()}


def grow(params: dict[str, Any]) -> int:
    """Allocate in steps, as real memory growth does, far past any test cap."""
    chunks = []
    for _ in range(params["steps"]):
        chunks.append(bytearray(params["step_bytes"]))
    return len(chunks)


def sleep_stubbornly(params: dict[str, Any]) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print(f"started {time.monotonic()}", flush=True)
    time.sleep(params["seconds"])


def big_result(params: dict[str, Any]) -> str:
    return "x" * int(params["size"])
