"""Reading what pyentry left in the result file, defensively: the child is not trusted to have
finished, to have written valid JSON, or to have kept it small."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import JsonValue


@dataclass(frozen=True)
class ChildReport:
    state: Literal["ok", "error", "missing", "invalid", "too_large"]
    size: int = 0
    result: JsonValue = None
    error_class: str | None = None
    message: str | None = None
    vm_peak_bytes: int | None = None
    breach: dict[str, JsonValue] | None = None


def read_report(path: Path, max_bytes: int) -> ChildReport:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return ChildReport("missing")
    if size > max_bytes:
        return ChildReport("too_large", size=size)
    try:
        body = json.loads(path.read_bytes())
    except ValueError as exc:
        return ChildReport("invalid", size=size, message=str(exc))
    if not isinstance(body, dict) or "ok" not in body:
        return ChildReport("invalid", size=size, message="not a pyentry result object")
    if body["ok"] is True:
        return ChildReport("ok", size=size, result=body.get("result"))
    vm_peak = body.get("vm_peak_bytes")
    return ChildReport(
        "error",
        size=size,
        error_class=str(body.get("error_class") or "Exception"),
        message=str(body.get("message") or ""),
        vm_peak_bytes=vm_peak if isinstance(vm_peak, int) else None,
        breach=body["breach"] if isinstance(body.get("breach"), dict) else None,
    )
