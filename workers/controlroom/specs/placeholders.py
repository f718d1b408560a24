"""`${params.NAME}` and `${run.KEY}` in phase fields: checked when a spec is validated, substituted when
a run's phases are rendered. `$${` writes a literal `${`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from pydantic import JsonValue

from controlroom.specs.problems import Loc

RUN_KEYS = ("id", "attempt", "workspace", "bucket", "spec_name", "spec_version", "spec_hash")
PLACEHOLDER = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_REFERENCE = re.compile(r"^(params|run)\.([A-Za-z_][A-Za-z0-9_]*)$")
# Placeholders are never substituted into SQL text: values would be spliced into the query.
UNSUBSTITUTED_FIELDS = frozenset({"query"})
# JSON-valued phase fields, where `${params.n}` alone keeps n's JSON type.
TYPED_FIELDS = frozenset({"params", "query_params"})


def references(text: str) -> Iterator[str]:
    """The inner text of every placeholder in `text` (`params.x`), escapes skipped."""
    for match in PLACEHOLDER.finditer(text):
        if match.group(0) != "$${":
            yield match.group(1).strip()


def parse_reference(inner: str) -> tuple[str, str] | None:
    match = _REFERENCE.match(inner)
    return (match.group(1), match.group(2)) if match else None


def walk_strings(value: JsonValue, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_strings(item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk_strings(item, (*loc, key))


Lookup = Callable[[str, str], JsonValue]


def substitute(
    value: JsonValue,
    lookup: Lookup,
    skip: frozenset[str] = frozenset(),
    typed: frozenset[str] = frozenset(),
    *,
    keep_type: bool = False,
) -> JsonValue:
    """Replace placeholders in every string, except under the keys in `skip`. Under the keys in
    `typed` (JSON values such as a python phase's params), a string that is exactly one placeholder
    takes the value itself, so `${params.limit}` stays an integer; elsewhere values become text."""
    if isinstance(value, str):
        return _substitute_text(value, lookup, keep_type)
    if isinstance(value, list):
        return [substitute(item, lookup, skip, typed, keep_type=keep_type) for item in value]
    if isinstance(value, dict):
        return {
            key: item if key in skip else substitute(item, lookup, skip, typed, keep_type=keep_type or key in typed)
            for key, item in value.items()
        }
    return value


def _substitute_text(text: str, lookup: Lookup, keep_type: bool) -> JsonValue:
    whole = PLACEHOLDER.fullmatch(text)
    if keep_type and whole and whole.group(0) != "$${":
        return lookup(*_split(whole.group(1)))

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        found = lookup(*_split(match.group(1)))
        return found if isinstance(found, str) else _json_text(found)

    return PLACEHOLDER.sub(one, text)


def _split(inner: str) -> tuple[str, str]:
    parsed = parse_reference(inner.strip())
    if parsed is None:
        raise KeyError(inner)
    return parsed


def _json_text(value: JsonValue) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
