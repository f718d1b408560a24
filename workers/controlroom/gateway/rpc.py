"""`/rpc/{fn}`: overload resolution (PostgREST's findProc) and the call statement.

POST arguments go through `json_to_record($1::json) AS _("a" type, …)`, so JSON values are coerced
exactly as PostgREST coerces them; GET arguments are text cast to the parameter type.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from controlroom.gateway import fuzzy
from controlroom.gateway.errors import ApiError, invalid_body, not_implemented, parse_error
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
from controlroom.gateway.query import (
    Filter,
    Modifiers,
    Params,
    filter_sql,
    ident,
    is_filter_value,
    order_sql,
    parse_filter,
    select_sql,
    split_query,
)
from controlroom.gateway.schema_cache import Routine, SchemaCache

# Content type of a POST body → the type of the single unnamed parameter it may be passed to.
RAW_BODY_TYPES = {"text/plain": "text", "text/xml": "xml", "application/octet-stream": "bytea"}


@dataclass(frozen=True)
class RpcRequest:
    schema: str
    name: str
    method: str  # GET, HEAD or POST
    query: tuple[tuple[str, str], ...]
    body: bytes
    content_type: str  # media type without parameters, lower-cased; "" when absent
    singular: bool
    count: bool


def _matches(routine: Routine, keys: frozenset[str]) -> bool:
    return not routine.unnamed_single and routine.required <= keys <= (routine.required | routine.optional)


def ambiguous(routines: list[Routine]) -> ApiError:
    sigs = ", ".join(sorted(r.signature() for r in routines))
    return ApiError(
        300,
        "PGRST203",
        f"Could not choose the best candidate function between: {sigs}",
        None,
        "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    )


def not_found(cache: SchemaCache, req: RpcRequest, keys: list[str], json_post: bool) -> ApiError:
    func = f"{req.schema}.{req.name}"
    raw_kind = RAW_BODY_TYPES.get(req.content_type) if req.method == "POST" else None
    params = ("(" + ", ".join(keys) + ")") if keys else " without parameters"
    message = f"Could not find the function {func}{'' if raw_kind else params} in the schema cache"
    if raw_kind:
        searched = f" with a single unnamed {raw_kind} parameter"
    else:
        searched = f" with parameter{'s' if len(keys) > 1 else ''} {', '.join(keys)}" if keys else " without parameters"
        if json_post:
            searched += " or with a single unnamed json/jsonb parameter"
    details = f"Searched for the function {func}{searched}, but no matches were found in the schema cache."
    hint = None
    if not raw_kind:
        overloads = cache.routines.get((req.schema, req.name), [])
        if overloads:
            options = {"(" + ", ".join(sorted(p.name for p in r.params)) + ")" for r in overloads}
            best = fuzzy.closest("(" + ", ".join(keys) + ")", options)
            suggestion = f"{req.name}{best}" if best else None
        else:
            suggestion = fuzzy.closest(req.name, [n for (s, n) in cache.routines if s == req.schema])
        if suggestion:
            hint = f"Perhaps you meant to call the function {req.schema}.{suggestion}"
    return ApiError(404, "PGRST202", message, details, hint)


def resolve(cache: SchemaCache, req: RpcRequest, keys: frozenset[str], json_post: bool) -> tuple[Routine, bool]:
    """The routine to call, and whether it receives the whole body as its one unnamed parameter."""
    candidates = cache.routines.get((req.schema, req.name), [])
    raw_type = RAW_BODY_TYPES.get(req.content_type) if req.method == "POST" else None
    if raw_type is None:
        named = [r for r in candidates if _matches(r, keys)]
        if len(named) == 1:
            return named[0], False
        if len(named) > 1:
            raise ambiguous(named)
    wanted = {raw_type} if raw_type else ({"json", "jsonb"} if json_post else set())
    fallback = [r for r in candidates if r.unnamed_single and r.params[0].type in wanted]
    if len(fallback) == 1:
        return fallback[0], True
    if len(fallback) > 1:
        raise ambiguous(fallback)
    raise not_found(cache, req, sorted(keys), json_post)


def plan(cache: SchemaCache, req: RpcRequest, max_rows: int | None) -> Plan:
    filters: list[Filter] = []
    get_args: dict[str, list[str]] = {}
    mods = Modifiers()
    for key, value in split_query(req.query, mods):
        if is_filter_value(value):
            filters.append(parse_filter(key, value))
        elif req.method in ("GET", "HEAD"):
            get_args.setdefault(key, []).append(value)
        else:
            raise parse_error(
                f'"failed to parse filter ({value})" (line 1, column 1)',
                "Query parameters of a POST RPC are filters on its result",
            )

    json_post = req.method == "POST" and req.content_type in ("", "application/json")
    body_value: object = {}
    body_text = "{}"
    if req.method == "POST":
        if req.content_type in RAW_BODY_TYPES:
            body_value = None
        elif json_post:
            if req.body.strip():
                try:
                    body_value = orjson.loads(req.body)
                except orjson.JSONDecodeError as exc:
                    raise invalid_body(str(exc)) from None
            if isinstance(body_value, list):
                body_value = body_value[0] if body_value else {}
                body_text = orjson.dumps(body_value).decode()
            elif req.body.strip():
                body_text = req.body.decode()
        else:
            raise not_implemented(f"request bodies of type {req.content_type} are not supported")
        keys = frozenset(body_value) if isinstance(body_value, dict) else frozenset()
    else:
        keys = frozenset(get_args)

    routine, whole_body = resolve(cache, req, keys, json_post)
    params = Params()
    fn = ident(routine.schema, routine.name)
    from_clause = ""
    if whole_body:
        param_type = routine.params[0].type
        raw: object = req.body if param_type == "bytea" else req.body.decode("utf-8", "replace")
        if json_post:
            raw = body_text
        call = f"{fn}({params.add(raw)}::{param_type})"
    elif req.method == "POST":
        passed = [p for p in routine.params if p.name in keys]
        args = ", ".join(f"{'VARIADIC ' if p.variadic else ''}{ident(p.name)} := _.{ident(p.name)}" for p in passed)
        call = f"{fn}({args})"
        if passed:
            record = ", ".join(f"{ident(p.name)} {p.type}" for p in passed)
            from_clause = f"pg_catalog.json_to_record({params.add(body_text)}::json) AS _({record})"
    else:
        pieces = []
        for p in routine.params:
            if p.name not in get_args:
                continue
            values = get_args[p.name]
            if p.variadic:
                pieces.append(f"VARIADIC {ident(p.name)} := {params.add(values)}::text[]::{p.type}")
            else:
                pieces.append(f"{ident(p.name)} := {params.add(values[-1])}::text::{p.type}")
        call = f"{fn}({', '.join(pieces)})"

    if routine.composite:
        source = (
            f"SELECT pgrst_call.* FROM {from_clause}, LATERAL {call} AS pgrst_call"
            if from_clause
            else f"SELECT pgrst_call.* FROM {call} AS pgrst_call"
        )
    else:
        source = f"SELECT {call} AS pgrst_scalar" + (f" FROM {from_clause}" if from_clause else "")
    cte = f"WITH pgrst_source AS ({source}) "

    shape = Shape.VOID if routine.void else (Shape.ROWS if routine.setof else Shape.SINGLE)
    where = ""
    if routine.composite:
        columns = {c.name: c for c in routine.columns}
        relation = f"{routine.schema}.{routine.name}"
        conds = [filter_sql(f, columns, relation, params, "pgrst_source") for f in filters]
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        selected = select_sql(mods.select, columns, relation, "pgrst_source") if columns else "pgrst_source.*"
        ordering = f" ORDER BY {order_sql(mods.order, columns, relation, 'pgrst_source')}" if mods.order else ""
    else:
        if filters or mods.order or (mods.select not in (None, "", "*")):
            raise not_implemented("select, filters and order on a function that returns scalars")
        selected, ordering = "pgrst_source.pgrst_scalar", ""
    paging = page_clause(mods.limit, mods.offset, max_rows) if shape is Shape.ROWS else ""
    inner = f"SELECT {selected} FROM pgrst_source{where}{ordering}{paging}"

    if shape is Shape.VOID:
        body = NO_BODY
    elif routine.composite:
        body = ROW_ONE if (shape is Shape.SINGLE or req.singular) else ROW_ARRAY
    else:
        body = SCALAR_ONE if (shape is Shape.SINGLE or req.singular) else SCALAR_ARRAY
    count_from = f"pgrst_source{where}" if (req.count and shape is Shape.ROWS) else None
    sql = statement(inner=inner, body=body, count_from=count_from, cte=cte)
    read_only = req.method != "POST" or routine.volatility != "v"
    return Plan(sql, tuple(params.values), read_only, routine.hoisted, shape, mods.offset if shape is Shape.ROWS else 0)
