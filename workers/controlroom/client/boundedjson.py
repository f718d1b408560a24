"""Decoding replies whose content other tenants wrote, without letting one of them crash the worker.

The stdlib decoder recurses once per nesting level: a run whose params nest ~1,000 levels makes
json.loads raise RecursionError (or worse, exhaust the C stack) while decoding the whole claim
reply, and the worker dies holding every run of that claim. Here nesting depth is measured with a
flat scan first (no recursion), and a reply that is a JSON array is decoded item by item, so one
item that is too deep is reported as Undecodable, with its shallow fields (lease_token, run_id)
still readable, while the other items decode normally.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 64  # far deeper than any RPC reply shape; params and spec bodies nest a few levels
MAX_BYTES = 64 * 1024 * 1024

# A JSON string token (escapes included), or a structural character. Everything else is skipped.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]', re.DOTALL)  # strings: the unrolled loop


class ReplyTooLarge(ValueError):
    pass


class ReplyTooDeep(ValueError):
    pass


@dataclass(frozen=True)
class Undecodable:
    """An array item that could not be decoded; `fields` holds the members that could."""

    reason: str
    fields: dict[str, Any] = field(default_factory=dict)


def _depth(text: str, start: int = 0, end: int | None = None) -> int:
    depth = deepest = 0
    for match in _TOKENS.finditer(text, start, len(text) if end is None else end):
        char = match.group()
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _check_size(text: str | bytes, max_bytes: int) -> None:
    if len(text) > max_bytes:
        raise ReplyTooLarge(f"the reply is {len(text)} bytes, above the {max_bytes}-byte limit")


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """json.loads, refusing (ReplyTooDeep / ReplyTooLarge, both ValueError) instead of recursing."""
    _check_size(text, max_bytes)
    if isinstance(text, bytes):
        text = text.decode()
    if (deepest := _depth(text)) > max_depth:
        raise ReplyTooDeep(f"JSON nested {deepest} levels deep, above the limit of {max_depth}")
    return json.loads(text)


def _children(text: str, start: int, end: int) -> list[tuple[int, int, int | None]]:
    """The direct children of the container text[start:end] (which starts with [ or {), as
    (value_start, value_end, key_end) spans; key_end is where an object member's key ends."""
    children: list[tuple[int, int, int | None]] = []
    depth = 0
    item_start = start + 1
    colon: int | None = None
    for match in _TOKENS.finditer(text, start, end):
        char = match.group()
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                if text[item_start : match.start()].strip():
                    children.append((item_start, match.start(), colon))
                break
        elif depth == 1 and char == ",":
            children.append((item_start, match.start(), colon))
            item_start, colon = match.end(), None
        elif depth == 1 and char == ":" and colon is None:
            colon = match.start()
    return children


def _shallow_fields(text: str, start: int, end: int, max_depth: int) -> dict[str, Any]:
    """The members of the object text[start:end] whose values are within the depth limit."""
    fields: dict[str, Any] = {}
    if not text[start:end].lstrip().startswith("{"):
        return fields
    start += len(text[start:end]) - len(text[start:end].lstrip())
    for item_start, item_end, colon in _children(text, start, end):
        if colon is None:
            continue
        try:
            key = json.loads(text[item_start:colon])
            value_start = colon + 1
            if _depth(text, value_start, item_end) <= max_depth:
                fields[str(key)] = json.loads(text[value_start:item_end])
        except ValueError:
            continue
    return fields


def loads_items(text: str | bytes, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """Like loads, but an array's items are decoded one by one: an item that is too deep (or
    otherwise undecodable) becomes an Undecodable in its place. Anything but an array: loads."""
    _check_size(text, max_bytes)
    if isinstance(text, bytes):
        text = text.decode()
    stripped = text.lstrip()
    if not stripped.startswith("["):
        return loads(text, max_depth=max_depth, max_bytes=max_bytes)
    start = len(text) - len(stripped)
    items: list[Any] = []
    for item_start, item_end, _ in _children(text, start, len(text)):
        deepest = _depth(text, item_start, item_end) + 1  # +1: the array around it
        if deepest > max_depth:
            reason = f"JSON nested {deepest} levels deep, above the limit of {max_depth}"
            items.append(Undecodable(reason, _shallow_fields(text, item_start, item_end, max_depth - 2)))
            continue
        try:
            items.append(json.loads(text[item_start:item_end]))
        except ValueError as exc:
            items.append(Undecodable(f"invalid JSON: {exc}", _shallow_fields(text, item_start, item_end, 1)))
    return items
