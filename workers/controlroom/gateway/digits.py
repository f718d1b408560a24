"""Numbers in request text, read the way PostgREST (Haskell's `read`) reads them: ASCII digits only.

Python's int() and str.isdigit() also accept other Unicode digits ('²', '٣', '５'); int('²') even
raises after isdigit() said yes. Every number the gateway takes from a request, a header or a GUC
goes through here, so such text is a parse error where it is read, never a 500 further on.
"""

from __future__ import annotations

_ASCII_DIGITS = frozenset("0123456789")


def ascii_int(raw: str) -> int | None:
    """The non-negative integer `raw` spells in ASCII digits (surrounding blanks allowed), else None."""
    text = raw.strip()
    if not text or not _ASCII_DIGITS.issuperset(text):
        return None
    return int(text)
