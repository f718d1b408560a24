"""Child side of a python phase: `python -m controlroom.phases.pyentry module:function --params P --result R`.

Params come from a JSON file, the return value goes to a JSON file written atomically, so stdout
and stderr stay pure logs. Exit codes: 0 ok, 1 the function raised (details in the result file),
2 usage, MEMORY_EXIT the process ran out of its address-space cap (RLIMIT_AS) — reserved so the
runner reports cap_exceeded(memory), not a generic failure, even if no result file could be written.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from controlroom.phases import rlimits

MEMORY_EXIT = 97
FAILURE_EXIT = 1


def vm_peak_bytes() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _write_atomically(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, allow_nan=False))
    os.replace(tmp, path)


class EntrypointMissing(Exception):
    """The module imported but has no such callable: the same spec fails the same way every time."""


def _load(entrypoint: str) -> Callable[[dict[str, Any]], Any]:
    module_name, _, function_name = entrypoint.partition(":")
    module = importlib.import_module(module_name)
    # Told apart from an AttributeError raised inside the function, which says nothing about the spec.
    function = getattr(module, function_name, None)
    if function is None:
        raise EntrypointMissing(f"module {module_name} has no attribute {function_name!r} ({entrypoint})")
    if not callable(function):
        raise EntrypointMissing(f"{entrypoint} is not callable")
    return function  # type: ignore[no-any-return]


def _run(entrypoint: str, params_path: Path, result_path: Path) -> int:
    params = json.loads(params_path.read_text())
    value = _load(entrypoint)(params)
    try:
        _write_atomically(result_path, {"ok": True, "result": value})
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the return value of {entrypoint} is not JSON-serialisable: {exc}") from None
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="controlroom.phases.pyentry")
    parser.add_argument("entrypoint")
    parser.add_argument("--params", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    rlimits.add_arguments(parser)
    args = parser.parse_args(argv)
    rlimits.apply(args.address_space, args.cpu_soft, args.cpu_hard)
    try:
        code = _run(args.entrypoint, args.params, args.result)
    except MemoryError:
        # The frames that held the memory are gone by now, so a small write usually succeeds;
        # the exit code alone is enough for the runner if it does not.
        try:
            _write_atomically(
                args.result,
                {
                    "ok": False,
                    "error_class": "MemoryError",
                    "message": "address-space cap reached",
                    "vm_peak_bytes": vm_peak_bytes(),
                },
            )
        finally:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            os._exit(MEMORY_EXIT)
    except Exception as exc:
        traceback.print_exc()
        payload: dict[str, object] = {"ok": False, "error_class": type(exc).__qualname__, "message": str(exc)[:4000]}
        # Engines that enforce their own caps (DuckDB's memory limit, a query timeout) say so by
        # carrying a `cap_breach` dict; the phase is then reported as cap_exceeded, not failed.
        breach = getattr(exc, "cap_breach", None)
        if isinstance(breach, dict):
            payload["breach"] = breach
        _write_atomically(args.result, payload)
        code = FAILURE_EXIT
    sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
