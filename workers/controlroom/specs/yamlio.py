"""YAML in, strictly: safe loading only, duplicate keys refused, and where every value sits in the file
(so a validation error can name its line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from controlroom.specs.problems import Loc, Problem, format_loc

MERGE_KEY_TAG = "tag:yaml.org,2002:merge"
_HINTS = {
    "mapping values are not allowed here": "quote values that contain ': ', or fix the indentation",
    "found character '\\t' that cannot start any token": "indent with spaces; YAML does not allow tabs",
    "expected a single document": "keep one spec per file (remove the extra '---')",
    "found undefined alias": "define the &anchor before using the *alias",
}


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class StrictSafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses duplicate mapping keys instead of keeping the last one silently."""

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


def load_yaml(text: str, file: str) -> Document:
    loader = StrictSafeLoader(text)
    doc = Document(None)
    try:
        node = loader.get_single_node()
        if node is not None:
            _walk(loader, node, (), doc, file)
            if not doc.problems:
                doc.data = loader.construct_document(node)
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
