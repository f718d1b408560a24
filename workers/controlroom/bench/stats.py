"""Percentiles and the median/spread of repeated measurements."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of the repetitions of one figure."""
    clean = [v for v in values if v == v]
    if not clean:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "n": 0}
    return {"median": statistics.median(clean), "min": min(clean), "max": max(clean), "n": len(clean)}


def fmt(s: dict[str, float], digits: int = 1) -> str:
    if s["n"] == 0:
        return "–"
    f = f",.{digits}f"
    if s["n"] == 1:
        return format(s["median"], f)
    return f"{format(s['median'], f)} ({format(s['min'], f)}–{format(s['max'], f)})"
