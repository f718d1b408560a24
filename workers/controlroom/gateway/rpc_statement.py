"""The SQL of a planned `/rpc/{fn}` call (PostgREST's Query layer, `callPlanToQuery`).

POST arguments go through `json_to_record($1::json) AS _("a" type, …)`, so JSON values are coerced
exactly as PostgREST coerces them; GET arguments are text cast to the parameter type. The call is
the `pgrst_source` CTE; select, filters, order and paging apply to it; the body is built in SQL.
"""

from __future__ import annotations

from controlroom.gateway.errors import not_implemented
from controlroom.gateway.plan import (
    NO_BODY,
    ROW_ARRAY,
    ROW_ONE,
    SCALAR_ARRAY,
    SCALAR_ONE,
    Plan,
    Shape,
    page_clause,
    statement,
)
from controlroom.gateway.query import Params, filter_sql, ident, order_sql, select_sql
from controlroom.gateway.rpc_request import ParsedCall, RpcRequest
from controlroom.gateway.schema_cache import Routine


def build(routine: Routine, whole_body: bool, req: RpcRequest, call: ParsedCall, max_rows: int | None) -> Plan:
    params = Params()
    invocation, from_clause = _invocation(routine, whole_body, req, call, params)
    cte = f"WITH pgrst_source AS ({_source(routine, invocation, from_clause)}) "
    shape = Shape.VOID if routine.void else (Shape.ROWS if routine.setof else Shape.SINGLE)
    inner, where = _result_rows(routine, call, shape, params, max_rows)
    count_from = f"pgrst_source{where}" if (req.count and shape is Shape.ROWS) else None
    sql = statement(inner=inner, body=_body(routine, shape, req.singular), count_from=count_from, cte=cte)
    read_only = req.method != "POST" or routine.volatility != "v"
    return Plan(
        sql, tuple(params.values), read_only, routine.hoisted, shape, call.mods.offset if shape is Shape.ROWS else 0
    )


def _invocation(
    routine: Routine, whole_body: bool, req: RpcRequest, call: ParsedCall, params: Params
) -> tuple[str, str]:
    """`"s"."fn"(…arguments…)` and the FROM item its arguments come from ("" when none)."""
    fn = ident(routine.schema, routine.name)
    if whole_body:
        param_type = routine.params[0].type
        raw: object = req.body if param_type == "bytea" else req.body.decode("utf-8", "replace")
        if call.json_post:
            raw = call.body_text
        return f"{fn}({params.add(raw)}::{param_type})", ""
    if req.method == "POST":
        passed = [p for p in routine.params if p.name in call.keys]
        args = ", ".join(f"{'VARIADIC ' if p.variadic else ''}{ident(p.name)} := _.{ident(p.name)}" for p in passed)
        if not passed:
            return f"{fn}({args})", ""
        record = ", ".join(f"{ident(p.name)} {p.type}" for p in passed)
        return f"{fn}({args})", f"pg_catalog.json_to_record({params.add(call.body_text)}::json) AS _({record})"
    pieces = []
    for p in routine.params:
        if p.name not in call.get_args:
            continue
        values = call.get_args[p.name]
        if p.variadic:
            pieces.append(f"VARIADIC {ident(p.name)} := {params.add(values)}::text[]::{p.type}")
        else:
            pieces.append(f"{ident(p.name)} := {params.add(values[-1])}::text::{p.type}")
    return f"{fn}({', '.join(pieces)})", ""


def _source(routine: Routine, invocation: str, from_clause: str) -> str:
    if routine.composite:
        if from_clause:
            return f"SELECT pgrst_call.* FROM {from_clause}, LATERAL {invocation} AS pgrst_call"
        return f"SELECT pgrst_call.* FROM {invocation} AS pgrst_call"
    return f"SELECT {invocation} AS pgrst_scalar" + (f" FROM {from_clause}" if from_clause else "")


def _result_rows(
    routine: Routine, call: ParsedCall, shape: Shape, params: Params, max_rows: int | None
) -> tuple[str, str]:
    """The SELECT over pgrst_source (select, filters, order, paging) and its WHERE clause."""
    mods = call.mods
    where = ""
    if routine.composite:
        columns = {c.name: c for c in routine.columns}
        relation = f"{routine.schema}.{routine.name}"
        conds = [filter_sql(f, columns, relation, params, "pgrst_source") for f in call.filters]
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        selected = select_sql(mods.select, columns, relation, "pgrst_source") if columns else "pgrst_source.*"
        ordering = f" ORDER BY {order_sql(mods.order, columns, relation, 'pgrst_source')}" if mods.order else ""
    else:
        if call.filters or mods.order or (mods.select not in (None, "", "*")):
            raise not_implemented("select, filters and order on a function that returns scalars")
        selected, ordering = "pgrst_source.pgrst_scalar", ""
    paging = page_clause(mods.limit, mods.offset, max_rows) if shape is Shape.ROWS else ""
    return f"SELECT {selected} FROM pgrst_source{where}{ordering}{paging}", where


def _body(routine: Routine, shape: Shape, singular: bool) -> str:
    if shape is Shape.VOID:
        return NO_BODY
    one = shape is Shape.SINGLE or singular
    if routine.composite:
        return ROW_ONE if one else ROW_ARRAY
    return SCALAR_ONE if one else SCALAR_ARRAY
