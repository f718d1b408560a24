"""Pipeline specs: the YAML files in specs/ (the GitOps source of truth), their model, canonical
JSON and hash, parameter validation, and the gate that checks them.

Public API: controlroom.specs.models.PipelineSpec; controlroom.specs.load.{load_spec, parse_spec,
validate_paths}; controlroom.specs.canonical.{canonical_json, spec_hash}; controlroom.specs.params.
resolve_params; controlroom.specs.render.{RunContext, render_phases}; controlroom.specs.schema.
"""
