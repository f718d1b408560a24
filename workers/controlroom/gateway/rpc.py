"""`/rpc/{fn}` in PostgREST's own layers: parse the request (rpc_request, ApiRequest), plan it —
resolve the overload as PostgREST's findProc does (here, Plan) — and build the statement
(rpc_statement, Query). Each step only reads what the one before produced.
"""

from __future__ import annotations

from controlroom.gateway import fuzzy, rpc_statement
from controlroom.gateway.errors import ApiError
from controlroom.gateway.plan import Plan
from controlroom.gateway.rpc_request import RAW_BODY_TYPES, RpcRequest, parse
from controlroom.gateway.schema_cache import Routine, SchemaCache

__all__ = ["RpcRequest", "ambiguous", "not_found", "plan", "resolve"]


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
    call = parse(req)
    routine, whole_body = resolve(cache, req, call.keys, call.json_post)
    return rpc_statement.build(routine, whole_body, req, call, max_rows)
