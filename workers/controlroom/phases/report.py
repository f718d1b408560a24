"""Reading what pyentry left in the result file, defensively: the child is not trusted to have
finished, to have written valid JSON, or to have kept it small."""

from __future__ import annotations

import json
import os
import stat
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


def _read_regular_file(path: Path, max_bytes: int, owner: int | None) -> tuple[int, bytes | None]:
    """(size, bytes) of a regular file, never following a symlink nor blocking on a FIFO: the
    directory belongs to the phase, which may have replaced the file to make the worker (perhaps
    root) read something else. With `owner`, the file must belong to it and have one link (a hard
    link to a file of someone else's, where the kernel allows one, is refused too). bytes is None
    when the file is larger than max_bytes."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _NotRegular
        if owner is not None and (info.st_uid != owner or info.st_nlink != 1):
            raise _NotRegular
        if info.st_size > max_bytes:
            return info.st_size, None
        data = file.read(max_bytes + 1)
    return len(data), data if len(data) <= max_bytes else None


class _NotRegular(Exception):
    pass


def read_report(path: Path, max_bytes: int, owner: int | None = None) -> ChildReport:
    try:
        size, data = _read_regular_file(path, max_bytes, owner)
    except FileNotFoundError:
        return ChildReport("missing")
    except (_NotRegular, OSError):  # ELOOP: a symlink
        return ChildReport("invalid", message="the result file is not a regular file of the phase's own")
    if data is None:
        return ChildReport("too_large", size=size)
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as exc:
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
