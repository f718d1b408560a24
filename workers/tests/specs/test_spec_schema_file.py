"""The committed JSON Schema is the generated one, and agrees with the model about the examples."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from controlroom.specs.schema import SCHEMA_PATH, pipeline_spec_schema, schema_text

from .helpers import BASE, PIPELINE_SPEC_FILES, REPO


def test_the_committed_schema_file_is_up_to_date() -> None:
    committed = (REPO / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == schema_text(), (
        "specs/schema/pipeline-spec.schema.json is stale: run `python -m controlroom.specs.schema --write`"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = pipeline_spec_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) == {"name", "version", "workspace", "phases"}


@pytest.mark.parametrize("path", PIPELINE_SPEC_FILES, ids=lambda p: p.name)
def test_editors_see_the_committed_specs_as_valid(path: object) -> None:
    schema = json.loads((REPO / SCHEMA_PATH).read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(Path(str(path)).read_text(encoding="utf-8")), schema)


def test_editors_see_an_unknown_field_as_invalid() -> None:
    body = yaml.safe_load(BASE)
    body["retires"] = {}
    with pytest.raises(jsonschema.ValidationError, match="retires"):
        jsonschema.validate(body, pipeline_spec_schema())
