"""What is wrong with a spec, said so that its author can fix it without reading a traceback."""

from __future__ import annotations

from dataclasses import dataclass

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str  # as the user named it (relative paths stay relative); "<string>" for in-memory bodies
    path: str  # inside the document: "phases[2].caps.memory_bytes"; "" for the whole file
    message: str  # what is wrong and how to fix it
    line: int | None = None  # 1-based, when the YAML says where
    column: int | None = None
    code: str | None = None  # a stable class for callers that branch on it (e.g. uri_outside_workspace)

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        at = ""
        if self.line is not None:
            at = f" (line {self.line}" + (f", column {self.column})" if self.column is not None else ")")
        return f"{self.file}: {where}{self.message}{at}"


class SpecError(Exception):
    """A spec failed to load or validate; `problems` lists every finding, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SpecLimitExceeded(SpecError):
    """A spec file passes one of the loader's bounds (controlroom.specs.yamlio: MAX_SPEC_BYTES,
    MAX_ALIAS_EXPANSIONS, MAX_DEPTH, MAX_NODES) and was refused before it could take the memory it asks
    for. `limit` names the bound: "bytes", "aliases", "depth" or "nodes"."""

    def __init__(self, problems: list[Problem], limit: str) -> None:
        super().__init__(problems)
        self.limit = limit


def format_loc(loc: Loc) -> str:
    """('phases', 2, 'caps', 'memory_bytes') -> 'phases[2].caps.memory_bytes'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
