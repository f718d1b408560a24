"""The public API surface as data: `supabase/contract.json`, regenerated from the catalog and diffed.

What PostgREST exposes is what clients depend on: functions in `public` (signatures, return
types, volatility, who may execute them) and tables/views in `public` (columns, RLS, grants,
policies). A migration that changes any of it must update the committed snapshot in the same
change, so the change is reviewed as an API change.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import psycopg

API_ROLES = ("anon", "authenticated", "service_role", "controlroom_executor")

FUNCTIONS = """
select p.proname,
       pg_get_function_identity_arguments(p.oid),
       pg_get_function_arguments(p.oid),
       pg_get_function_result(p.oid),
       case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end,
       p.prosecdef,
       coalesce(p.proconfig, '{}'),
       p.oid
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname = 'public' and p.prokind = 'f'
  and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')
order by 1, 2
"""

RELATIONS = """
select c.relname, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity, c.oid,
       coalesce(c.reloptions, '{}')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'p', 'f')
  and not exists (select from pg_depend d where d.objid = c.oid and d.deptype = 'e')
order by 1
"""

COLUMNS = """
select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
from pg_attribute a where a.attrelid = %s and a.attnum > 0 and not a.attisdropped order by a.attnum
"""

POLICIES = """
select polname, polcmd::text, polpermissive,
       array(select rolname from pg_roles where oid = any(polroles) order by 1)
from pg_policy where polrelid = %s order by 1
"""

KIND = {"r": "table", "v": "view", "m": "materialized view", "p": "partitioned table", "f": "foreign table"}
CMD = {"r": "select", "a": "insert", "w": "update", "d": "delete", "*": "all"}


def generate(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    roles = [
        r[0]
        for r in conn.execute(
            "select rolname from pg_roles where rolname = any(%s) order by 1", (list(API_ROLES),)
        ).fetchall()
    ]
    functions = []
    for name, identity, arguments, result, volatility, definer, config, oid in conn.execute(FUNCTIONS).fetchall():
        executable = [
            role
            for role in roles
            if conn.execute("select has_function_privilege(%s, %s::oid, 'execute')", (role, oid)).fetchone()[0]  # type: ignore[index]
        ]
        functions.append(
            {
                "name": name,
                "identity": identity,
                "arguments": arguments,
                "returns": result,
                "volatility": volatility,
                "security_definer": definer,
                "config": sorted(config),
                "executable_by": executable,
            }
        )
    relations = []
    for name, kind, rls, forced, oid, options in conn.execute(RELATIONS).fetchall():
        grants = {}
        for role in roles:
            privs = [
                p
                for p in ("select", "insert", "update", "delete")
                if conn.execute("select has_table_privilege(%s, %s::oid, %s)", (role, oid, p)).fetchone()[0]  # type: ignore[index]
            ]
            if privs:
                grants[role] = privs
        relations.append(
            {
                "name": name,
                "kind": KIND[kind],
                "rls_enabled": rls,
                "rls_forced": forced,
                "options": sorted(options),
                "columns": [{"name": c, "type": t, "not_null": nn} for c, t, nn in conn.execute(COLUMNS, (oid,))],
                "grants": grants,
                "policies": [
                    {"name": pn, "command": CMD[cmd], "permissive": perm, "roles": list(proles)}
                    for pn, cmd, perm, proles in conn.execute(POLICIES, (oid,))
                ],
            }
        )
    return {"schema": "public", "functions": functions, "relations": relations}


def render(contract: dict[str, Any]) -> str:
    return json.dumps(contract, indent=2, sort_keys=True) + "\n"


def diff(committed: str, current: str) -> str:
    lines = difflib.unified_diff(
        committed.splitlines(),
        current.splitlines(),
        "supabase/contract.json (committed)",
        "catalog (migrations applied)",
        n=3,
        lineterm="",
    )
    return "\n".join(lines)
