"""Structured JSON logs: one object per line with a stable `action` key and the run context."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, TextIO


class JsonLog:
    def __init__(self, stream: TextIO | None = None, **context: Any) -> None:
        self._stream = stream or sys.stderr
        self._context = context
        self._lock = threading.Lock()

    def bind(self, **context: Any) -> JsonLog:
        child = JsonLog(self._stream, **(self._context | context))
        child._lock = self._lock
        return child

    def __call__(self, action: str, level: str = "info", **fields: Any) -> None:
        record = {"ts": round(time.time(), 3), "level": level, "action": action} | self._context | fields
        line = json.dumps(record, default=str, separators=(",", ":"))
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()
