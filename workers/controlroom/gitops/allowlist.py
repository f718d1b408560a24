"""Allow-lists of reviewed lint findings, shared by the squawk and plpgsql_check gates.

An allow-list is a TOML file of `[[allow]]` entries: two fields that name the finding (e.g. file
and rule), the exact number of such findings, and the reason they are intended. A count that no
longer matches fails the gate, so an entry cannot silently cover a new finding of the same kind.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar


class Describable(Protocol):
    def describe(self) -> str: ...


F = TypeVar("F", bound=Describable)


@dataclass(frozen=True)
class Allowance:
    key: tuple[str, str]
    count: int
    reason: str


def load(path: Path, fields: tuple[str, str]) -> list[Allowance]:
    """Reads `[[allow]]` entries; every one must name both fields, a positive count and a reason."""
    if not path.exists():
        return []
    entries: list[Allowance] = []
    for number, raw in enumerate(tomllib.loads(path.read_text()).get("allow", []), 1):
        first, second = raw.get(fields[0]), raw.get(fields[1])
        count, reason = raw.get("count"), raw.get("reason")
        if not (isinstance(first, str) and isinstance(second, str) and isinstance(count, int) and count > 0):
            raise ValueError(f"{path}: entry {number} needs {fields[0]}, {fields[1]} and a positive count, got {raw!r}")
        if not (isinstance(reason, str) and reason.strip()):
            raise ValueError(f"{path}: entry {number} ({first}, {second}) needs a reason")
        entries.append(Allowance((first, second), count, reason))
    return entries


def apply(
    findings: Sequence[F],
    allowances: Sequence[Allowance],
    key: Callable[[F], tuple[str, str]],
    *,
    source: str,
    tool: str,
) -> tuple[list[F], list[str]]:
    """Splits findings into allowed ones and problems; an entry whose count differs is a problem too."""
    counts = Counter(key(f) for f in findings)
    by_key = {a.key: a for a in allowances}
    problems = [
        f"{source}: {a.key[0]} [{a.key[1]}] allows {a.count} finding(s), {tool} reports {counts[a.key]}; "
        "the allow-list must match exactly"
        for a in allowances
        if counts[a.key] != a.count
    ]
    allowed: list[F] = []
    for finding in findings:
        entry = by_key.get(key(finding))
        if entry is not None and counts[key(finding)] == entry.count:
            allowed.append(finding)
        else:
            problems.append(finding.describe())
    return allowed, problems
