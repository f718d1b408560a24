"""Routing documents (specs/routing/): the committed ones validate, the committed JSON Schema is the
generated one, and a bad file is refused with file, field and line, as pipeline specs are."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from controlroom.routing.load import DEFAULT_ROUTING_DIR, load_routing, publish_body, validate_routing_paths
from controlroom.routing.schema import SCHEMA_PATH, routing_schema, schema_text
from controlroom.specs.load import validate_paths

from .helpers import REPO, SPECS_DIR

ROUTING_FILES = sorted((REPO / DEFAULT_ROUTING_DIR).glob("*.yaml"))

GOOD = """\
workspace: analytics
targets:
  hook: {kind: webhook, url_secret: HOOK_URL, signing_secret: HOOK_KEY}
  chat: {kind: slack, url_secret: CHAT_URL}
routes:
  - name: failures
    match: {signal_type: [run_failed], spec: "flights-*"}
    continue: true
    escalation:
      - {targets: [hook], after_seconds: 0}
      - {targets: [chat], after_seconds: 3}
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "routes.yaml").write_text(text)
    return [str(p).replace(str(tmp_path), "<dir>") for p in validate_routing_paths([tmp_path])]


def test_every_committed_routing_file_validates() -> None:
    assert ROUTING_FILES, "specs/routing/ holds the worked example"
    problems = validate_routing_paths([REPO / DEFAULT_ROUTING_DIR])
    assert problems == [], "\n".join(str(p) for p in problems)


def test_the_pipeline_spec_gate_leaves_routing_files_to_their_own_gate() -> None:
    assert validate_paths([SPECS_DIR]) == []


def test_the_committed_schema_file_is_up_to_date() -> None:
    committed = (REPO / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == schema_text(), (
        "specs/schema/routing.schema.json is stale: run `python -m controlroom.routing.schema --write`"
    )


@pytest.mark.parametrize("path", ROUTING_FILES, ids=lambda p: p.name)
def test_editors_see_the_committed_routing_files_as_valid(path: Path) -> None:
    jsonschema.Draft202012Validator.check_schema(routing_schema())
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), routing_schema())


def test_a_good_document_publishes_continue_as_written_and_no_workspace(tmp_path: Path) -> None:
    assert _problems(tmp_path, GOOD) == []
    body = publish_body(load_routing(tmp_path / "routes.yaml"))
    assert set(body) == {"defaults", "targets", "routes", "inhibit_rules"}
    assert body["routes"][0]["continue"] is True
    assert json.dumps(body).count("continue_") == 0


def test_a_bad_document_lists_every_problem_with_its_field_and_line(tmp_path: Path) -> None:
    bad = (
        GOOD.replace("url_secret: HOOK_URL", "url_secret: https://hooks.example.com/x")
        .replace("[run_failed]", "[run_faild]")
        .replace("continue: true", "continu: true")
    )
    assert _problems(tmp_path, bad) == [
        "<dir>/routes.yaml: targets.hook.url_secret: must be the NAME of an environment variable of the dispatcher "
        "(e.g. ONCALL_WEBHOOK_URL: capitals, digits, '_'), never a URL or key: secrets stay out of Git (line 3)",
        "<dir>/routes.yaml: routes[0].match.signal_type: unknown signal type 'run_faild'; did you mean 'run_failed'? "
        "(line 7)",
        "<dir>/routes.yaml: routes[0]: unknown field 'continu'; did you mean 'continue'? (line 8)",
    ]


def test_unknown_targets_duplicate_routes_and_signed_slack_targets_are_refused(tmp_path: Path) -> None:
    twice = GOOD + GOOD[GOOD.index("  - name") :].replace("[hook]", "[pager]")
    assert _problems(tmp_path, twice) == [
        "<dir>/routes.yaml: routes[1].name: route name 'failures' is also used by routes[0] (line 12)",
        "<dir>/routes.yaml: routes[1].escalation[0].targets[0]: unknown target 'pager'; define it under `targets` "
        "(known: 'chat', 'hook') (line 16)",
    ]
    signed_slack = GOOD.replace("url_secret: CHAT_URL}", "url_secret: CHAT_URL, signing_secret: K}")
    assert _problems(tmp_path, signed_slack) == [
        "<dir>/routes.yaml: targets.chat: signing_secret is for kind webhook; Slack incoming webhooks are not signed "
        "(line 4)"
    ]
