"""pydantic's validation errors, rewritten as Problems: a path in the document as the author wrote it,
and a message that says how to fix it (with a did-you-mean for misspelt fields and kinds)."""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from controlroom.specs.models import DATASET_NAME_PATTERN, LABEL_KEY_PATTERN, SLUG_PATTERN, PipelineSpec
from controlroom.specs.problems import Loc, Problem, format_loc

_PATTERN_HINTS = {
    SLUG_PATTERN: "must be a slug: 1-63 lowercase letters, digits and '-', starting and ending with a letter or "
    "digit (e.g. 'flights-medallion')",
    LABEL_KEY_PATTERN: "label keys are 1-63 lowercase letters, digits and '.', '_', '/', '-', starting and ending "
    "with a letter or digit",
    DATASET_NAME_PATTERN: "names are 1-128 of [A-Za-z0-9._-], starting with a letter or digit",
}
_TYPE_WORDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def problems_from_validation(
    exc: ValidationError,
    data: object,
    file: str,
    lines: dict[Loc, int],
    root: type[BaseModel] = PipelineSpec,
    prefix: Loc = (),
) -> list[Problem]:
    """`root` is the model that was validated; `prefix` is where its data sits in the document."""
    problems = []
    for error in exc.errors(include_url=False):
        raw = tuple(error["loc"])
        loc = (*prefix, *_document_loc(raw, data))
        path, message, at = _describe(error, raw, loc, root)
        problems.append(Problem(file, path, message, line=_line(lines, at)))
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))


def _describe(error: ErrorDetails, raw: Loc, loc: Loc, root: type[BaseModel]) -> tuple[str, str, Loc]:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return format_loc(loc[:-1]), f"missing required field {loc[-1]!r}", loc[:-1]
    if kind == "extra_forbidden":
        allowed = _fields_at(root, raw[:-1])
        return format_loc(loc[:-1]), f"unknown field {loc[-1]!r}{_suggest(str(loc[-1]), allowed, True)}", loc
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag"))
        kinds = _tags(str(ctx.get("expected_tags", "")))
        return (format_loc((*loc, "kind")), f"unknown phase kind {tag!r}{_suggest(tag, kinds, False)}", (*loc, "kind"))
    if kind == "union_tag_not_found":
        return format_loc(loc), "missing 'kind': say which kind of phase this is (python, shell or sql)", loc
    if kind == "literal_error":
        options = _tags(str(ctx.get("expected", "")))
        value = str(error.get("input"))
        return format_loc(loc), f"{value!r} is not allowed{_suggest(value, options, False)}", loc
    return format_loc(loc), message_for(error), loc


def message_for(error: ErrorDetails) -> str:
    """One pydantic error in the words of this module (no "Value error, " prefixes)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()))
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return f"must be {bounds[kind]} {limit}"
    if kind in _TYPE_WORDS:
        if kind == "string_type" and isinstance(value, bool | int | float):
            return (
                f"must be a string, not {value!r}: quote it (YAML reads yes/no/on/off as booleans and bare "
                "numbers as numbers)"
            )
        return f"must be {_TYPE_WORDS[kind]}, not {_shown(value)}"
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(str(ctx.get("pattern")), f"must match the pattern {ctx.get('pattern')}")
    if kind in ("too_short", "string_too_short"):
        size = ctx.get("min_length", 1)
        if kind == "string_too_short" and size == 1:
            return "must not be empty"
        return f"must have at least {size} {'item' if kind == 'too_short' else 'character'}{'s' * (size != 1)}"
    if kind in ("too_long", "string_too_long"):
        return f"must have at most {ctx.get('max_length')} {'items' if kind == 'too_long' else 'characters'}"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    return str(error["msg"])


def _shown(value: object) -> str:
    if value is None:
        return "null (an empty value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _suggest(word: str, options: list[str], field: bool) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    if not options:
        return ""
    listed = ", ".join(repr(o) for o in sorted(options))
    return f"; {'known fields are' if field else 'use one of'} {listed}"


def _tags(text: str) -> list[str]:
    return [part.strip().strip("'\"") for part in text.replace(" or ", ",").split(",") if part.strip()]


def _document_loc(raw: Loc, data: object) -> Loc:
    """Drop what pydantic adds to locations but the author never wrote: discriminated-union tags
    (phases.2.sql.query) and pydantic's markers ('[key]', 'function-after[...]')."""
    out: list[str | int] = []
    node = data
    for part in raw:
        if isinstance(part, str) and (part == "[key]" or part.startswith("function-")):
            continue
        if isinstance(node, dict) and isinstance(part, str) and part not in node and node.get("kind") == part:
            continue
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _fields_at(root: type[BaseModel], raw: Loc) -> list[str]:
    """Field names of the model at a raw pydantic location (which still has the union tags)."""
    current: Any = root
    for part in raw:
        current = _step(current, part)
        if current is None:
            return []
    model = _unwrap(current)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    # As the author writes them: a field's alias when it has one (`continue` for `continue_`).
    return [field.alias or name for name, field in model.model_fields.items()]


def _step(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field else None
    origin = get_origin(annotation)
    if origin is list and isinstance(part, int):
        return get_args(annotation)[0]
    if origin is dict:
        return get_args(annotation)[1]
    if origin in (Union, types.UnionType):
        for member in get_args(annotation):
            member = _unwrap(member)
            kind = getattr(member, "model_fields", {}).get("kind")
            if kind is not None and kind.default == part:
                return member
    return None


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _line(lines: dict[Loc, int], loc: Loc) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None
