"""A run's parameters: the submitted values plus the schema's defaults, validated against the spec's
JSON Schema. The control plane stores the result, so a run is reproducible from its row alone."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from jsonschema import Draft202012Validator
from pydantic import JsonValue

from controlroom.specs.models import PipelineSpec
from controlroom.specs.problems import Problem, SpecError, format_loc


def resolve_params(spec: PipelineSpec, submitted: Mapping[str, JsonValue] | None = None) -> dict[str, JsonValue]:
    """Defaults filled in and every value checked; SpecError lists each violation."""
    values: dict[str, JsonValue] = dict(submitted or {})
    properties = spec.params.get("properties")
    if isinstance(properties, dict):
        for name, schema in properties.items():
            if name not in values and isinstance(schema, dict) and "default" in schema:
                values[name] = copy.deepcopy(schema["default"])
    validator = Draft202012Validator(spec.params, format_checker=Draft202012Validator.FORMAT_CHECKER)
    source = f"params of {spec.name} v{spec.version}"
    problems = [
        Problem(source, format_loc(tuple(error.absolute_path)), error.message)
        # By path, then message: an order that does not depend on the schema's key order, which the
        # control plane (jsonb) does not keep; submit_run's SQL check lists them the same way.
        for error in sorted(validator.iter_errors(values), key=lambda e: ([str(p) for p in e.absolute_path], e.message))
    ]
    if problems:
        raise SpecError(problems)
    return values
