"""What the exposed schemas contain, read from pg_catalog: functions, tables/views, role settings.

Everything the gateway puts into SQL as an identifier comes from here, so a name that is not in
the cache never reaches the database. Reloaded on `NOTIFY pgrst, 'reload schema'`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

FUNCTIONS_SQL = """
select p.oid::int8 as oid, n.nspname as schema, p.proname as name, p.provolatile::text as volatility,
       p.proretset as retset, p.prorettype = 'pg_catalog.void'::pg_catalog.regtype as void,
       pg_catalog.format_type(p.prorettype, null) as rettype,
       (rt.typtype = 'c' or (p.prorettype = 'pg_catalog.record'::pg_catalog.regtype
                             and coalesce(p.proargmodes::text[], '{}') && array['o', 't', 'b'])) as composite,
       p.pronargdefaults as ndefaults,
       coalesce(p.proargnames, '{}') as argnames,
       coalesce(p.proargmodes::text[], '{}') as argmodes,
       array(select pg_catalog.format_type(t.oid, null)
             from pg_catalog.unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
                  with ordinality as a(typ, i)
             join pg_catalog.pg_type t on t.oid = a.typ order by a.i) as argtypes,
       array(select a.attname::text from pg_catalog.pg_attribute a
             where a.attrelid = rt.typrelid and rt.typrelid <> 0 and a.attnum > 0 and not a.attisdropped
             order by a.attnum) as retcols,
       array(select pg_catalog.format_type(a.atttypid, a.atttypmod) from pg_catalog.pg_attribute a
             where a.attrelid = rt.typrelid and rt.typrelid <> 0 and a.attnum > 0 and not a.attisdropped
             order by a.attnum) as retcoltypes,
       coalesce(p.proconfig, '{}') as config
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
join pg_catalog.pg_type rt on rt.oid = p.prorettype
where n.nspname = any($1::text[]) and p.prokind = 'f'
  and p.prorettype not in ('pg_catalog.trigger'::pg_catalog.regtype,
                           'pg_catalog.event_trigger'::pg_catalog.regtype)
"""

RELATIONS_SQL = """
select n.nspname as schema, c.relname as name,
       array_agg(a.attname::text order by a.attnum) as cols,
       array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) order by a.attnum) as coltypes
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where n.nspname = any($1::text[]) and c.relkind in ('r', 'v', 'm', 'f', 'p')
group by n.nspname, c.relname
"""

# Only user-context settings: the ones `SET ROLE` would not apply but a role could SET itself
# (statement_timeout, lock_timeout, ...). Database-specific settings override global ones.
ROLE_SETTINGS_SQL = """
select r.rolname as role, split_part(cfg, '=', 1) as key, substr(cfg, strpos(cfg, '=') + 1) as value
from pg_catalog.pg_db_role_setting s
join pg_catalog.pg_roles r on r.oid = s.setrole
cross join lateral pg_catalog.unnest(s.setconfig) as cfg
join pg_catalog.pg_settings ps on ps.name = split_part(cfg, '=', 1) and ps.context = 'user'
where s.setdatabase in (0, (select d.oid from pg_catalog.pg_database d where d.datname = current_database()))
order by r.rolname, s.setdatabase
"""

HOISTED_SETTINGS = ("statement_timeout", "default_transaction_isolation")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    has_default: bool
    variadic: bool


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class Routine:
    oid: int
    schema: str
    name: str
    params: tuple[Param, ...]
    volatility: str  # 'v' volatile, 's' stable, 'i' immutable
    setof: bool
    void: bool
    composite: bool
    return_type: str
    columns: tuple[Column, ...]
    hoisted: tuple[tuple[str, str], ...]

    @property
    def required(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params if not p.has_default)

    @property
    def optional(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params if p.has_default)

    @property
    def unnamed_single(self) -> bool:
        return len(self.params) == 1 and self.params[0].name == ""

    def signature(self) -> str:
        args = ", ".join(f"{p.name} => {p.type}" if p.name else p.type for p in self.params)
        return f"{self.schema}.{self.name}({args})"


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    columns: dict[str, Column]


@dataclass
class SchemaCache:
    routines: dict[tuple[str, str], list[Routine]] = field(default_factory=dict)
    relations: dict[tuple[str, str], Relation] = field(default_factory=dict)
    role_settings: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    generation: int = 0


_UNNAMED_OK = {"json", "jsonb", "text", "xml", "bytea"}


def _routine(row: Any) -> Routine | None:
    modes: list[str] = list(row["argmodes"]) or ["i"] * len(row["argtypes"])
    names: list[str] = list(row["argnames"]) + [""] * (len(row["argtypes"]) - len(row["argnames"]))
    inputs = [(n, t, m) for n, t, m in zip(names, row["argtypes"], modes, strict=True) if m in ("i", "b", "v")]
    first_default = len(inputs) - row["ndefaults"]
    params = tuple(Param(n, t, i >= first_default, m == "v") for i, (n, t, m) in enumerate(inputs))
    # PostgREST exposes a function only if every input is named, or it has one unnamed json-ish input.
    if any(p.name == "" for p in params) and not (len(params) == 1 and params[0].type in _UNNAMED_OK):
        return None
    if row["retcols"]:
        columns = tuple(Column(n, t) for n, t in zip(row["retcols"], row["retcoltypes"], strict=True))
    else:
        columns = tuple(
            Column(n, t) for n, t, m in zip(names, row["argtypes"], modes, strict=True) if m in ("o", "b", "t") and n
        )
    hoisted = []
    for item in row["config"]:
        key, _, value = item.partition("=")
        if key in HOISTED_SETTINGS:
            hoisted.append((key, value))
    return Routine(
        oid=row["oid"],
        schema=row["schema"],
        name=row["name"],
        params=params,
        volatility=row["volatility"],
        setof=row["retset"],
        void=row["void"],
        composite=bool(row["composite"]),
        return_type=row["rettype"],
        columns=columns,
        hoisted=tuple(hoisted),
    )


async def load(conn: asyncpg.Connection, schemas: tuple[str, ...], generation: int = 0) -> SchemaCache:
    cache = SchemaCache(generation=generation)
    async with conn.transaction(readonly=True):
        for row in await conn.fetch(FUNCTIONS_SQL, list(schemas)):
            routine = _routine(row)
            if routine is not None:
                cache.routines.setdefault((routine.schema, routine.name), []).append(routine)
        for row in await conn.fetch(RELATIONS_SQL, list(schemas)):
            cols = {n: Column(n, t) for n, t in zip(row["cols"], row["coltypes"], strict=True)}
            cache.relations[(row["schema"], row["name"])] = Relation(row["schema"], row["name"], cols)
        for row in await conn.fetch(ROLE_SETTINGS_SQL):
            settings = cache.role_settings.setdefault(row["role"], [])
            settings[:] = [(k, v) for k, v in settings if k != row["key"]]
            settings.append((row["key"], row["value"]))
    return cache
