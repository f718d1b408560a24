"""The rows of a batch submit: `--param-file` (a JSON array of objects, or JSON Lines) and
`--from-csv` (a header row, then one run per row). Each row is one run's parameters."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from pydantic import JsonValue

from controlroom.cli.common import fail

MAX_ROWS = 100_000  # a batch file is read into memory; larger backfills are split into several files


def _value(raw: str) -> JsonValue:
    """A CSV cell as --param reads a value: JSON when it parses, else the text itself."""

    def no_constants(name: str) -> Any:
        raise ValueError(name)  # NaN and Infinity are not JSON

    try:
        value: JsonValue = json.loads(raw, parse_constant=no_constants)
    except ValueError:
        value = raw
    return value


def _checked(rows: list[Any], source: Path) -> list[dict[str, JsonValue]]:
    if len(rows) > MAX_ROWS:
        fail(f"{source} has {len(rows)} rows; at most {MAX_ROWS} per file", hint="Split it into several files.")
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            fail(f"{source}: row {number} is not a JSON object of parameters")
    return rows


def read_param_file(path: Path) -> list[dict[str, JsonValue]]:
    """A JSON array of objects, or JSON Lines (one object per non-empty line)."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            rows = json.loads(stripped)
        else:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        fail(f"{path} is not a JSON array or JSON Lines: {exc}")
    return _checked(rows, path)


def read_csv(path: Path) -> list[dict[str, JsonValue]]:
    """One run per row; the header names the parameters; empty cells are left out (defaults apply)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            fail(f"{path} has no header row", hint="The first row names the parameters.")
        rows: list[Any] = [
            {key: _value(cell) for key, cell in row.items() if key and cell not in (None, "")} for row in reader
        ]
    return _checked(rows, path)
