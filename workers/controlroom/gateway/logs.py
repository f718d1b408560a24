"""One JSON line per request on stderr, written in batches so logging costs no syscall per request."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import traceback

import orjson

FLUSH_SECONDS = 0.05


class RequestLog:
    def __init__(self, fd: int = 2) -> None:
        self._fd = fd
        self._lines: list[bytes] = []
        self._scheduled = False

    def request(self, method: str, path: str, status: int, duration_ms: float, role: str) -> None:
        self._emit(
            {
                "ts": round(time.time(), 3),
                "action": "request",
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(duration_ms, 3),
                "role": role,
            }
        )

    def failure(self, method: str, path: str, exc: BaseException) -> None:
        self._emit(
            {
                "ts": round(time.time(), 3),
                "action": "error",
                "method": method,
                "path": path,
                "error": repr(exc),
                "traceback": traceback.format_exception(exc),
            }
        )

    def event(self, action: str, **fields: object) -> None:
        self._emit({"ts": round(time.time(), 3), "action": action, **fields})
        self.flush()

    def _emit(self, record: dict[str, object]) -> None:
        self._lines.append(orjson.dumps(record, default=str) + b"\n")
        if not self._scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._scheduled = True
            loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if self._lines:
            data, self._lines = b"".join(self._lines), []
            with contextlib.suppress(OSError):
                os.write(self._fd, data)
