"""A planned request: one SQL statement in PostgREST's result shape, plus how to run and render it.

Every statement returns one row: (total, page_total, body, response_headers, response_status), the
shape PostgREST's own main query has. The body is JSON text built by Postgres, so the gateway never
re-encodes rows; response.* GUCs are read after the aggregate has consumed the function's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class Shape(Enum):
    VOID = "void"  # 204, no body
    SINGLE = "single"  # scalar or one composite: counts as one row (Content-Range 0-0/*)
    ROWS = "rows"  # a set: JSON array, ranges and counts apply


@dataclass(frozen=True)
class Plan:
    sql: str
    args: tuple[object, ...]
    read_only: bool
    hoisted: tuple[tuple[str, str], ...]
    shape: Shape
    offset: int = 0


SCALAR_ONE = "coalesce((pg_catalog.json_agg(_postgrest_t.pgrst_scalar) -> 0)::text, 'null')"
SCALAR_ARRAY = "coalesce(pg_catalog.json_agg(_postgrest_t.pgrst_scalar)::text, '[]')"
ROW_ONE = "coalesce((pg_catalog.json_agg(_postgrest_t) -> 0)::text, 'null')"
ROW_ARRAY = "coalesce(pg_catalog.json_agg(_postgrest_t)::text, '[]')"
NO_BODY = "NULL::text"


def statement(*, inner: str, body: str, count_from: str | None, cte: str = "") -> str:
    total = f"(SELECT pg_catalog.count(*) FROM {count_from})" if count_from else "NULL::int8"
    return (
        f"{cte}SELECT {total} AS total, pg_catalog.count(_postgrest_t) AS page_total, {body} AS body, "
        "nullif(pg_catalog.current_setting('response.headers', true), '') AS response_headers, "
        "nullif(pg_catalog.current_setting('response.status', true), '') AS response_status "
        f"FROM ({inner}) AS _postgrest_t"
    )


def strip_nulls(plan: Plan) -> Plan:
    """`nulls=stripped`: the same statement, its body passed through json_strip_nulls (PostgREST
    strips each row's nulls; json_strip_nulls on the array does exactly that, array elements kept)."""
    sql = (
        "SELECT _pgrst_s.total, _pgrst_s.page_total, pg_catalog.json_strip_nulls(_pgrst_s.body::json)::text AS body, "
        "_pgrst_s.response_headers, _pgrst_s.response_status "
        f"FROM ({plan.sql}) AS _pgrst_s"
    )
    return replace(plan, sql=sql)


def page_clause(limit: int | None, offset: int, max_rows: int | None) -> str:
    if max_rows is not None:
        limit = max_rows if limit is None else min(limit, max_rows)
    out = ""
    if limit is not None:
        out += f" LIMIT {int(limit)}"
    if offset:
        out += f" OFFSET {int(offset)}"
    return out
