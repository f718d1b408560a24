"""YAML in, strictly: safe loading only, duplicate keys refused, bounded, and where every value sits in the
file (so a validation error can name its line).

Bounded: a few hundred bytes of anchors and aliases can stand for billions of values (the "billion
laughs"), which the line map, the model and the published JSON would each expand. The composer counts
what the document stands for as it reads it, aliases expanded, and stops at the first bound passed:
bytes (before parsing), alias expansions, nesting depth and values. A spec never needs more than a
handful of aliases, so the bounds are far above any real spec and far below any harm."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import yaml
from yaml.events import AliasEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from controlroom.specs.problems import Loc, Problem, format_loc

MERGE_KEY_TAG = "tag:yaml.org,2002:merge"
MAX_SPEC_BYTES = 1024 * 1024  # the file, before parsing; the largest example spec is 16 KB
MAX_ALIAS_EXPANSIONS = 100  # alias uses, counting those inside what an alias stands for
MAX_DEPTH = 64  # nesting levels of mappings and sequences, aliases expanded
MAX_NODES = 200_000  # values (scalars, mappings, sequences) in the document, aliases expanded
_HINTS = {
    "mapping values are not allowed here": "quote values that contain ': ', or fix the indentation",
    "found character '\\t' that cannot start any token": "indent with spaces; YAML does not allow tabs",
    "expected a single document": "keep one spec per file (remove the extra '---')",
    "found undefined alias": "define the &anchor before using the *alias",
}


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class LimitExceeded(yaml.MarkedYAMLError):
    """The document passes one of the bounds; `limit` names it (bytes, aliases, depth, nodes)."""

    def __init__(self, limit: str, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.limit = limit


@dataclass(frozen=True)
class _Cost:
    """What an anchored node stands for once its aliases are expanded (each alias to it costs as much)."""

    expansions: int
    nodes: int
    height: int  # nesting levels, the node's own included


class StrictSafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses duplicate mapping keys instead of keeping the last one silently, and
    refuses documents past the bounds above while it composes them (before anything is expanded)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._expansions = 0
        self._nodes = 0
        self._depth = 0  # of the node being composed
        self._reached = 0  # the deepest level reached so far inside the node being composed
        self._costs: dict[int, _Cost] = {}  # id(anchored node) -> its cost, once it is complete

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            return self._compose_alias(parent, index)
        event, mark = self._next_event()
        anchor = event.anchor
        self._depth += 1
        self._count_node(mark)
        before = (self._expansions, self._nodes)
        outer, self._reached = self._reached, self._depth
        try:
            node = super().compose_node(parent, index)
        finally:
            height = self._reached - self._depth + 1
            self._reached = max(outer, self._reached)
            self._depth -= 1
        if anchor is not None:
            self._costs[id(node)] = _Cost(self._expansions - before[0], self._nodes - before[1], height)
        return node

    def _compose_alias(self, parent: Node | None, index: int) -> Node | None:
        event, mark = self._next_event()
        node = super().compose_node(parent, index)  # raises on an undefined alias
        alias = f"*{event.anchor}"
        cost = self._costs.get(id(node))
        if cost is None:  # its anchor is still open: the alias is inside what it names
            raise LimitExceeded(
                "aliases",
                f"alias {alias} is used inside its own anchor &{event.anchor}, which makes an endless structure; "
                "write the inner part out instead of the alias",
                mark,
            )
        self._expansions += 1 + cost.expansions
        if self._expansions > MAX_ALIAS_EXPANSIONS:
            raise LimitExceeded(
                "aliases",
                f"alias {alias} takes the document past {MAX_ALIAS_EXPANSIONS} alias expansions (aliases inside "
                "what an alias stands for count too: nested anchors multiply, as in a YAML alias bomb); write "
                "the repeated parts out, or use fewer aliases",
                mark,
            )
        self._nodes += cost.nodes
        self._check_nodes(mark)
        self._reached = max(self._reached, self._depth + cost.height)
        self._check_depth(self._reached, mark)
        return node

    def _next_event(self) -> tuple[NodeEvent, yaml.Mark | None]:
        """The event the node being composed starts with (compose_node is only called at a node) and where."""
        event = cast(NodeEvent, self.peek_event())  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        return event, event.start_mark if isinstance(event.start_mark, yaml.Mark) else None

    def _count_node(self, mark: yaml.Mark | None) -> None:
        self._nodes += 1
        self._check_nodes(mark)
        self._check_depth(self._depth, mark)

    def _check_nodes(self, mark: yaml.Mark | None) -> None:
        if self._nodes > MAX_NODES:
            raise LimitExceeded(
                "nodes",
                f"the document holds more than {MAX_NODES} values (aliases expanded); a spec describes a "
                "pipeline, not its data: move large content to a file the phase reads",
                mark,
            )

    def _check_depth(self, depth: int, mark: yaml.Mark | None) -> None:
        if depth > MAX_DEPTH:
            raise LimitExceeded(
                "depth",
                f"the document nests deeper than {MAX_DEPTH} levels (aliases expanded); flatten the structure",
                mark,
            )

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_KEY_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise DuplicateKeyError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


@dataclass
class Document:
    data: object
    lines: dict[Loc, int] = field(default_factory=dict)  # location -> 1-based line of its value (or key)
    problems: list[Problem] = field(default_factory=list)
    limit: str | None = None  # the bound the document passed, if that is what went wrong


def too_large(size: int, file: str) -> Problem | None:
    """The problem of a spec file of `size` bytes, if it is over MAX_SPEC_BYTES."""
    if size <= MAX_SPEC_BYTES:
        return None
    return Problem(
        file,
        "",
        f"is {size} bytes; a spec file may be at most {MAX_SPEC_BYTES} bytes (1 MiB): a spec describes a "
        "pipeline, not its data; move large content (queries, data) to files the phases read",
    )


def load_yaml(text: str, file: str) -> Document:
    doc = Document(None)
    # len(text) counts characters, each at least one byte: a cheap first look before encoding.
    oversized = too_large(len(text), file) or too_large(len(text.encode("utf-8")), file)
    if oversized is not None:
        doc.problems, doc.limit = [oversized], "bytes"
        return doc
    loader = StrictSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _walk(loader, node, (), doc, file)
            if not doc.problems:
                doc.data = loader.construct_document(node)
    except LimitExceeded as exc:
        doc.problems, doc.limit = [_limit_problem(exc, file)], exc.limit
    except yaml.MarkedYAMLError as exc:
        doc.problems = [_syntax_problem(exc, file)]
    except yaml.YAMLError as exc:
        doc.problems = [Problem(file, "", f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    return doc


def _walk(loader: StrictSafeLoader, node: Node, loc: Loc, doc: Document, file: str) -> None:
    doc.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _walk(loader, item, (*loc, index), doc, file)
    elif isinstance(node, MappingNode):
        first: dict[object, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_KEY_TAG or not isinstance(key_node, ScalarNode):
                continue
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in first:
                doc.problems.append(
                    Problem(
                        file,
                        format_loc(loc),
                        f"duplicate key {key!r} (first at line {first[key]}); YAML would silently keep only the last "
                        "one: remove or rename one of them",
                        line=line,
                    )
                )
                continue
            first[key] = line
            child = (*loc, key if isinstance(key, str | int) else str(key))
            doc.lines[child] = line
            _walk(loader, value_node, child, doc, file)


def _limit_problem(exc: LimitExceeded, file: str) -> Problem:
    mark = exc.problem_mark
    return Problem(
        file,
        "",
        f"refused before loading: {exc.problem}",
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
    )


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "syntax error"
    said = f"{exc.context or ''} {problem}"
    hint = next((h for key, h in _HINTS.items() if key in said), "fix the YAML syntax")
    context = f"{exc.context}: " if exc.context else ""
    return Problem(
        file,
        "",
        f"invalid YAML: {context}{problem}; {hint}",
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
    )
