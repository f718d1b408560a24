"""The rows a read asks for, computed as PostgREST's RangeQuery/ApiRequest do.

Two sources: the `limit`/`offset` query parameters and, on GET only (RFC 9110 lets a server ignore
Range for other methods; PostgREST does), the `Range: first-last` header. The effective range is
their intersection. Text that is not a number is ignored where PostgREST's `readMaybe` ignores it
(`limit=abc`, a malformed Range header); an empty intersection is 416 PGRST103, except for the one
empty range PostgREST allows, `limit=0`.
"""

from __future__ import annotations

import re

from controlroom.gateway.errors import ApiError

# PostgREST's rangeParse: the header value itself, no `items=` unit.
_RANGE_HEADER = re.compile(r"[0-9]+-[0-9]*")
_SIGNED = re.compile(r"-?[0-9]+")

LOWER_GT_UPPER = "The lower boundary must be lower than or equal to the upper boundary in the Range header."
NEGATIVE_LIMIT = "Limit should be greater than or equal to zero."


def parse_limit(raw: str) -> int | None:
    """`limit=N` as Haskell's readMaybe reads an Integer: a signed integer, else ignored (None)."""
    text = raw.strip()
    return int(text) if _SIGNED.fullmatch(text) else None


def header_range(raw: str | None) -> tuple[int, int | None] | None:
    """`Range: 0-9` or `Range: 5-` (inclusive bounds); None when absent or malformed (ignored)."""
    if raw is None or not _RANGE_HEADER.fullmatch(raw):
        return None
    low, _, high = raw.partition("-")
    return int(low), int(high) if high else None


def effective(limit: int | None, offset: int, header: tuple[int, int | None] | None) -> tuple[int | None, int]:
    """(limit, offset) of the intersection of the query range and the header range, or 416."""
    if limit == 0:
        return 0, offset  # limit zero bypasses every other range (PostgREST's convertToLimitZeroRange)
    lower, upper = offset, None if limit is None else offset + limit - 1
    header_empty = False
    if header is not None:
        h_low, h_high = header
        header_empty = h_high is not None and h_high < h_low
        lower = max(lower, h_low)
        if h_high is not None:
            upper = h_high if upper is None else min(upper, h_high)
    if upper is not None and upper < lower:
        details = LOWER_GT_UPPER if header_empty else NEGATIVE_LIMIT
        raise ApiError(416, "PGRST103", "Requested range not satisfiable", details)
    return (None if upper is None else upper - lower + 1), lower
