"""PostgREST's query-string grammar (the subset the stand-in implements) → SQL fragments.

Identifiers are looked up in the schema cache and quoted by psycopg; values are always bound
parameters cast from text to the column's type (PostgREST binds them as `unknown` literals,
which the column's input function parses the same way). Anything PostgREST understands but the
stand-in does not implement is refused with PGRST127, never ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from psycopg import sql

from controlroom.gateway.digits import ascii_int
from controlroom.gateway.errors import ApiError, not_implemented, parse_error
from controlroom.gateway.paging import parse_limit
from controlroom.gateway.schema_cache import Column

RESERVED = frozenset({"select", "columns", "on_conflict", "order", "limit", "offset", "and", "or"})
COMPARISONS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
PATTERNS = {"like": "LIKE", "ilike": "ILIKE"}
IS_VALUES = {"null": "NULL", "not_null": "NOT NULL", "true": "TRUE", "false": "FALSE", "unknown": "UNKNOWN"}
# Operators PostgREST has that the stand-in does not: known, so refused as "not implemented".
UNSUPPORTED_OPS = frozenset(
    {
        "match",
        "imatch",
        "cs",
        "cd",
        "ov",
        "sl",
        "sr",
        "nxr",
        "nxl",
        "adj",
        "fts",
        "plfts",
        "phfts",
        "wfts",
        "isdistinct",
    }
)
_MODIFIER = re.compile(r"^(eq|neq|gt|gte|lt|lte|like|ilike|match|imatch)\((any|all)\)$")
# PostgREST's pIdentifierChar besides letters: Parsec's `digit` is ASCII only, `letter` is any
# Unicode letter.
_NAME_CHARS = frozenset("0123456789_ $")


@lru_cache(maxsize=4096)
def ident(*names: str) -> str:
    """A quoted identifier. Like PostgREST's pgFmtIdent, a name is cut at its first NUL: SQL text
    cannot carry one (the wire protocol ends strings with it), so it must never reach the statement."""
    return sql.Identifier(*(name.split("\0", 1)[0] for name in names)).as_string(None)


def field_name(text: str) -> str | None:
    """A column or alias name by PostgREST's pFieldName grammar, or None when `text` is not one.

    Either a double-quoted name (backslash escapes the next character), or identifiers of letters,
    ASCII digits, `_`, space and `$` joined by single dashes; surrounding blanks are dropped. So
    control characters such as NUL, and punctuation, can only appear in a quoted name.
    """
    text = text.strip(" \t")
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        out: list[str] = []
        escaped = False
        for ch in text[1:-1]:
            if escaped:
                out.append(ch)
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                return None
            else:
                out.append(ch)
        return None if escaped else "".join(out)
    pieces = text.split("-")
    for piece in pieces:
        if not piece or not all(ch.isalpha() or ch in _NAME_CHARS for ch in piece):
            return None
    return "-".join(piece.strip() for piece in pieces)


@dataclass
class Params:
    """Positional parameters for asyncpg, numbered in the order fragments ask for them."""

    values: list[object] = field(default_factory=list)

    def add(self, value: object) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


@dataclass(frozen=True)
class Filter:
    column: str
    operator: str
    value: str
    negate: bool


def is_filter_value(value: str) -> bool:
    """True when a query value has PostgREST's `op.value` shape (so it is a filter, not an RPC argument)."""
    op, dot, _ = value.partition(".")
    if op == "not":
        op, dot, _ = value[4:].partition(".")
    return bool(dot) and (
        op in COMPARISONS
        or op in PATTERNS
        or op in ("is", "in")
        or op in UNSUPPORTED_OPS
        or _MODIFIER.match(op) is not None
    )


def parse_filter(key: str, value: str) -> Filter:
    if "->" in key or "::" in key:
        raise not_implemented(f"JSON paths and casts in filters ({key}) are not supported")
    if "." in key:
        raise not_implemented(f"filters on embedded resources ({key}) are not supported")
    negate = value.startswith("not.")
    rest = value[4:] if negate else value
    op, dot, operand = rest.partition(".")
    if not dot:
        raise parse_error(
            f'"failed to parse filter ({value})" (line 1, column 1)',
            "Filters look like column=operator.value, e.g. id=eq.1",
        )
    if op in UNSUPPORTED_OPS or _MODIFIER.match(op):
        raise not_implemented(f"the '{op}' operator is not supported")
    if op not in COMPARISONS and op not in PATTERNS and op not in ("is", "in"):
        raise parse_error(f'"failed to parse filter ({value})" (line 1, column 1)', f"Unknown operator '{op}'")
    return Filter(name_of(key, f"tree path ({key})"), op, operand, negate)


def parse_in_list(operand: str) -> list[str]:
    if not (operand.startswith("(") and operand.endswith(")")):
        raise parse_error(
            f'"failed to parse filter (in.{operand})" (line 1, column 4)', "in. takes a parenthesised list: in.(a,b)"
        )
    items: list[str] = []
    buf: list[str] = []
    quoted = False
    escaped = False
    body = operand[1:-1]
    if body == "":
        return items
    for ch in body:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            items.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    items.append("".join(buf))
    return items


def name_of(raw: str, source: str) -> str:
    """The column or alias name `raw` denotes; PGRST100 for what PostgREST's grammar cannot parse
    (`source` names the parameter, as PostgREST's message does: `select parameter (…)`)."""
    name = field_name(raw)
    if name is None:
        raise parse_error(
            f'"failed to parse {source}"',
            f"{raw.strip()!r} is not a column name: names are letters, digits, _, $, spaces and dashes, "
            'or double-quoted ("my.col")',
        )
    return name


def column(columns: dict[str, Column], name: str, relation: str) -> Column:
    found = columns.get(name)
    if found is None:
        raise ApiError(400, "42703", f"column {relation}.{name} does not exist")
    return found


def filter_sql(f: Filter, columns: dict[str, Column], relation: str, params: Params, qualifier: str) -> str:
    col = column(columns, f.column, relation)
    target = f"{qualifier}.{ident(col.name)}"
    if f.operator in COMPARISONS:
        clause = f"{target} {COMPARISONS[f.operator]} {params.add(f.value)}::text::{col.type}"
    elif f.operator in PATTERNS:
        clause = f"{target} {PATTERNS[f.operator]} {params.add(f.value.replace('*', '%'))}::text"
    elif f.operator == "is":
        keyword = IS_VALUES.get(f.value.lower())
        if keyword is None:
            raise parse_error(
                f'"failed to parse filter (is.{f.value})" (line 1, column 4)',
                "is. takes null, not_null, true, false or unknown",
            )
        clause = f"{target} IS {keyword}"
    else:
        items = parse_in_list(f.value)
        clause = f"{target} = ANY({params.add(items)}::text[]::{col.type}[])"
    return f"NOT ({clause})" if f.negate else clause


def split_top(text: str) -> list[str]:
    """Split on commas outside parentheses and double quotes."""
    out: list[str] = []
    depth = 0
    quoted = False
    buf: list[str] = []
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return out


def _split_alias(item: str) -> tuple[str | None, str]:
    """`alias:name` → (alias, name); the separator is the first colon outside double quotes."""
    quoted = False
    for i, ch in enumerate(item):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return item[:i], item[i + 1 :]
    return None, item


def select_sql(select: str | None, columns: dict[str, Column], relation: str, qualifier: str) -> str:
    if select is None or select.strip() in ("", "*"):
        return f"{qualifier}.*"
    parts: list[str] = []
    for raw in split_top(select):
        item = raw.strip()
        if item == "*":
            parts.append(f"{qualifier}.*")
            continue
        if "(" in item or item.startswith("..."):
            raise not_implemented(f"resource embedding and aggregates in select ({item}) are not supported")
        if "->" in item or "::" in item:
            raise not_implemented(f"JSON paths and casts in select ({item}) are not supported")
        if "!" in item:
            raise not_implemented(f"embedding hints in select ({item}) are not supported")
        raw_alias, raw_name = _split_alias(item)
        source = f"select parameter ({select})"
        col = column(columns, name_of(raw_name, source), relation)
        expr = f"{qualifier}.{ident(col.name)}"
        parts.append(f"{expr} AS {ident(name_of(raw_alias, source))}" if raw_alias is not None else expr)
    return ", ".join(parts)


def order_sql(order: str, columns: dict[str, Column], relation: str, qualifier: str) -> str:
    terms: list[str] = []
    for raw in split_top(order):
        item = raw.strip()
        if "(" in item or "->" in item or "::" in item:
            raise not_implemented(f"ordering by embedded resources, JSON paths or casts ({item}) is not supported")
        name, *mods = item.split(".")
        col = column(columns, name_of(name, f"order ({order})"), relation)
        term = f"{qualifier}.{ident(col.name)}"
        direction, nulls = "", ""
        for mod in mods:
            if mod in ("asc", "desc") and not direction:
                direction = mod.upper()
            elif mod in ("nullsfirst", "nullslast") and not nulls:
                nulls = "NULLS FIRST" if mod == "nullsfirst" else "NULLS LAST"
            else:
                raise parse_error(
                    f'"failed to parse order ({order})" (line 1, column 1)',
                    "Order terms look like column[.asc|.desc][.nullsfirst|.nullslast]",
                )
        terms.append(" ".join(t for t in (term, direction, nulls) if t))
    return ", ".join(terms)


@dataclass
class Modifiers:
    """The reserved query parameters that shape a result rather than filter it."""

    select: str | None = None
    order: str | None = None
    limit: int | None = None  # as given (may be negative) until paging.effective has checked it
    offset: int = 0


def split_query(query: tuple[tuple[str, str], ...], modifiers: Modifiers) -> list[tuple[str, str]]:
    """Moves select/order/limit/offset into `modifiers`, refuses what the stand-in does not
    implement (PGRST127), and returns the other parameters (filters, or a GET RPC's arguments)."""
    rest: list[tuple[str, str]] = []
    for key, value in query:
        if key == "select":
            modifiers.select = value
        elif key == "order":
            modifiers.order = value
        elif key == "limit":
            modifiers.limit = parse_limit(value)  # PostgREST ignores a limit that is not an integer
        elif key == "offset":
            modifiers.offset = non_negative("offset", value)
        elif key in ("and", "or", "not.and", "not.or") or key.endswith((".and", ".or", ".order", ".limit", ".offset")):
            raise not_implemented(f"logical operators and embedded modifiers ({key}) are not supported")
        elif key in ("columns", "on_conflict"):
            raise not_implemented(f"the '{key}' parameter is not supported")
        else:
            rest.append((key, value))
    return rest


def non_negative(name: str, raw: str) -> int:
    value = ascii_int(raw)
    if value is None:
        raise parse_error(f'"failed to parse {name} parameter ({raw})"', f"{name} must be a non-negative integer")
    return value
