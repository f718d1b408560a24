"""The JSON Schema of a pipeline spec, for editors and external validators. The committed copy in
specs/schema/ is generated here; a test keeps the two equal. Regenerate with
`python -m controlroom.specs.schema --write`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from controlroom.settings import project_root
from controlroom.specs.models import PipelineSpec

SCHEMA_PATH = Path("specs/schema/pipeline-spec.schema.json")


def pipeline_spec_schema() -> dict[str, Any]:
    schema = PipelineSpec.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Lakehouse Control Room pipeline spec",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def schema_text() -> str:
    return json.dumps(pipeline_spec_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m controlroom.specs.schema")
    parser.add_argument("--write", action="store_true", help=f"write {SCHEMA_PATH} instead of printing")
    args = parser.parse_args(argv)
    if args.write:
        target = project_root() / SCHEMA_PATH
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(schema_text(), encoding="utf-8")
        print(f"wrote {SCHEMA_PATH}")
    else:
        sys.stdout.write(schema_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
