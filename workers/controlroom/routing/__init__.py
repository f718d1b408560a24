"""Routing documents: the YAML files in specs/routing/ that say which signals page whom, through which
tiers, grouped and inhibited how. They are validated like pipeline specs (file, line, field) and
published per workspace with `controlroom routes publish`.

Public API: controlroom.routing.models.RoutingDocument; controlroom.routing.load.{load_routing,
validate_routing_paths, publish_body}; controlroom.routing.schema.
"""
