"""The JSON Schema of a routing document, for editors and external validators. The committed copy in
specs/schema/ is generated here; a test keeps the two equal. Regenerate with
`python -m controlroom.routing.schema --write`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from controlroom.routing.models import RoutingDocument
from controlroom.settings import project_root

SCHEMA_PATH = Path("specs/schema/routing.schema.json")


def routing_schema() -> dict[str, Any]:
    schema = RoutingDocument.model_json_schema(mode="validation", by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Lakehouse Control Room routing document",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def schema_text() -> str:
    return json.dumps(routing_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m controlroom.routing.schema")
    parser.add_argument("--write", action="store_true", help=f"write {SCHEMA_PATH} instead of printing")
    args = parser.parse_args(argv)
    if args.write:
        target = project_root() / SCHEMA_PATH
        target.write_text(schema_text(), encoding="utf-8")
        print(f"wrote {SCHEMA_PATH}")
    else:
        sys.stdout.write(schema_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
