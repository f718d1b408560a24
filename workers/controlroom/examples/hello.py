"""The python phase of specs/examples/hello.yaml."""

from __future__ import annotations

from typing import Any


def greet(params: dict[str, Any]) -> dict[str, str]:
    who = str(params.get("who", "world"))
    print(f"greeting {who}")
    return {"greeting": f"hello, {who}", "run": str(params.get("run", ""))}
