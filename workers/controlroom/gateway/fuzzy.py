"""Closest-name suggestions for "Perhaps you meant …" hints, after Haskell's Data.FuzzySet.

PostgREST uses FuzzySet.getOne with its defaults: 3- then 2-grams of the lower-cased name padded
with '-', cosine similarity to pick candidates, Levenshtein similarity to rank them, min score 0.33.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

MIN_SCORE = 0.33


def _normalise(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum() or c.isspace() or c == ",")


def _grams(text: str, size: int) -> Counter[str]:
    padded = f"-{_normalise(text)}-"
    if len(padded) < size:
        padded += "-" * (size - len(padded))
    return Counter(padded[i : i + size] for i in range(len(padded) - size + 1))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(count * b[g] for g, count in a.items() if g in b)
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def closest(word: str, choices: Iterable[str]) -> str | None:
    options = sorted(set(choices))
    for size in (3, 2):
        target = _grams(word, size)
        candidates = [c for c in options if _cosine(target, _grams(c, size)) > 0]
        if not candidates:
            continue
        scored = []
        for c in candidates:
            a, b = _normalise(word), _normalise(c)
            longest = max(len(a), len(b)) or 1
            scored.append((1 - _levenshtein(a, b) / longest, c))
        scored = [s for s in scored if s[0] >= MIN_SCORE]
        if not scored:
            return None
        scored.sort(key=lambda s: (-s[0], s[1]))
        return scored[0][1]
    return None
