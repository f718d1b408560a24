"""`GET /{table_or_view}`: plain columns, basic filters, order, limit/offset, counts. Nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from controlroom.gateway import fuzzy, paging
from controlroom.gateway.errors import ApiError, not_implemented
from controlroom.gateway.plan import ROW_ARRAY, ROW_ONE, Plan, Shape, page_clause, statement
from controlroom.gateway.query import (
    Modifiers,
    Params,
    filter_sql,
    ident,
    order_sql,
    parse_filter,
    select_sql,
    split_query,
)
from controlroom.gateway.schema_cache import SchemaCache


@dataclass(frozen=True)
class ReadRequest:
    schema: str
    name: str
    method: str
    query: tuple[tuple[str, str], ...]
    singular: bool
    count: bool
    range: tuple[int, int | None] | None  # from a `Range: a-b` header (GET only; see paging)


def table_not_found(cache: SchemaCache, schema: str, name: str) -> ApiError:
    best = fuzzy.closest(name, [n for (s, n) in cache.relations if s == schema])
    hint = f"Perhaps you meant the table '{schema}.{best}'" if best else None
    return ApiError(404, "PGRST205", f"Could not find the table '{schema}.{name}' in the schema cache", None, hint)


def plan(cache: SchemaCache, req: ReadRequest, max_rows: int | None) -> Plan:
    relation = cache.relations.get((req.schema, req.name))
    if relation is None:
        raise table_not_found(cache, req.schema, req.name)
    if req.method not in ("GET", "HEAD"):
        raise not_implemented(f"{req.method} on tables and views (the stand-in is read-only; write through RPCs)")
    qualified = ident(relation.schema, relation.name)
    label = f"{relation.schema}.{relation.name}"
    mods = Modifiers()
    params = Params()
    conds = [
        filter_sql(parse_filter(key, value), relation.columns, label, params, qualified)
        for key, value in split_query(req.query, mods)
    ]
    mods.limit, mods.offset = paging.effective(mods.limit, mods.offset, req.range)
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    selected = select_sql(mods.select, relation.columns, label, qualified)
    ordering = f" ORDER BY {order_sql(mods.order, relation.columns, label, qualified)}" if mods.order else ""
    inner = f"SELECT {selected} FROM {qualified}{where}{ordering}{page_clause(mods.limit, mods.offset, max_rows)}"
    sql = statement(
        inner=inner,
        body=ROW_ONE if req.singular else ROW_ARRAY,
        count_from=f"{qualified}{where}" if req.count else None,
    )
    return Plan(sql, tuple(params.values), True, (), Shape.ROWS, mods.offset)
