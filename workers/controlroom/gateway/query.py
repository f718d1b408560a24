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

from controlroom.gateway.errors import ApiError, not_implemented, parse_error
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
# Characters that can appear in a column name as PostgREST parses it; anything else is a parse error.
_NAME = re.compile(r'^[^\s,.:()!"\\;\'-][^,.:()!"\\;\']*$')


@lru_cache(maxsize=4096)
def ident(*names: str) -> str:
    return sql.Identifier(*names).as_string(None)


@lru_cache(maxsize=4096)
def literal(value: str) -> str:
    return sql.Literal(value).as_string(None)


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
    return Filter(key, op, operand, negate)


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


def column(columns: dict[str, Column], name: str, relation: str) -> Column:
    found = columns.get(name)
    if found is None:
        if not _NAME.match(name):
            raise parse_error(
                f'"failed to parse column name ({name})"',
                "Column names are plain identifiers of the table or function result",
            )
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


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
        return name[1:-1]
    return name


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
        alias, colon, name = item.partition(":")
        if not colon:
            alias, name = "", alias
        col = column(columns, _unquote(name), relation)
        expr = f"{qualifier}.{ident(col.name)}"
        parts.append(f"{expr} AS {ident(_unquote(alias))}" if alias else expr)
    return ", ".join(parts)


def order_sql(order: str, columns: dict[str, Column], relation: str, qualifier: str) -> str:
    terms: list[str] = []
    for raw in split_top(order):
        item = raw.strip()
        if "(" in item or "->" in item or "::" in item:
            raise not_implemented(f"ordering by embedded resources, JSON paths or casts ({item}) is not supported")
        name, *mods = item.split(".")
        col = column(columns, _unquote(name), relation)
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
    limit: int | None = None
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
            modifiers.limit = non_negative("limit", value)
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
    if not raw.isdigit():
        raise parse_error(f'"failed to parse {name} parameter ({raw})"', f"{name} must be a non-negative integer")
    return int(raw)
