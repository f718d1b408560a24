"""plpgsql_check over every PL/pgSQL function of the control plane, with an explicit allow-list.

PostgreSQL validates a PL/pgSQL body only when a statement first runs, so a misspelt column in a
rarely taken branch ships silently. The plpgsql_check extension (Debian `postgresql-15-plpgsql-check`)
checks every statement of every function in schemas `public` and `private` ahead of time: errors,
extra warnings (unused variables and parameters, shadowing, missing RETURN), performance warnings
(hidden casts) and security warnings (SQL injection). A trigger function is checked once per table
that fires it, with that table's transition tables, since its body can only be typed against them.

The extension is created at check time inside a transaction that is always rolled back, so it never
reaches a migration, the database after the check, or the API contract. Findings that are intended
are listed in `supabase/plpgsql-check-allowlist.toml` per function and message, with the exact count
and a reason; anything else fails with function, table (for triggers), line and message, and so does
an entry that no longer matches exactly.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from controlroom.gitops import allowlist as allowlist_file

ALLOWLIST = Path("supabase") / "plpgsql-check-allowlist.toml"
SCHEMAS = ["public", "private"]
# Where the extension lives for the duration of the check when the database does not have it yet.
EXTENSION_SCHEMA = "plpgsql_check_gate"

# One row per (function, trigger table): plain functions once, trigger functions per table that fires
# them. Functions that belong to an extension are not ours to check. Names are spelled out with their
# schema (not regprocedure::text, which drops it when the schema is on the search_path) so the
# allow-list keys do not depend on the session.
TARGETS = """
select distinct
    pg_catalog.format('%%I.%%I(%%s)', n.nspname, p.proname, pg_catalog.oidvectortypes(p.proargtypes)) as function,
    p.oid as funcoid,
    t.tgrelid as relid,
    pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(c.relname) as relation,
    t.tgoldtable as oldtable,
    t.tgnewtable as newtable,
    p.prorettype = 'trigger'::regtype as is_trigger
from pg_catalog.pg_proc as p
join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
join pg_catalog.pg_language as l on l.oid = p.prolang
left join pg_catalog.pg_trigger as t on t.tgfoid = p.oid and not t.tgisinternal
left join pg_catalog.pg_class as c on c.oid = t.tgrelid
left join pg_catalog.pg_namespace as tn on tn.oid = c.relnamespace
where l.lanname = 'plpgsql'
  and n.nspname = any(%s)
  and not exists (
      select from pg_catalog.pg_depend as d
      where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
  )
order by 1, 4
"""

CHECK = """
select r.lineno, r.level, r.sqlstate, r.message, r.detail, r.hint, r.statement
from {schema}.plpgsql_check_function_tb(
    %(funcoid)s::regprocedure,
    coalesce(%(relid)s::oid, 0)::regclass,
    fatal_errors => false,
    other_warnings => true,
    extra_warnings => true,
    performance_warnings => true,
    security_warnings => true,
    oldtable => %(oldtable)s,
    newtable => %(newtable)s,
    -- A body cannot switch its own checks off with `@plpgsql_check_options:` comments: exceptions
    -- live in the allow-list, with their reasons.
    use_incomment_options => false
) as r
"""


@dataclass(frozen=True)
class Finding:
    function: str
    relation: str | None  # the trigger's table, for trigger functions
    line: int | None
    level: str
    sqlstate: str
    message: str
    detail: str | None = None
    hint: str | None = None

    def describe(self) -> str:
        where = f"{self.function}" + (f" on {self.relation}" if self.relation else "")
        text = f"{where}:{self.line if self.line is not None else '-'}: {self.level} {self.sqlstate}: {self.message}"
        if self.detail:
            text += f"\n    detail: {self.detail}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


@dataclass
class PlpgsqlCheckReport:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    allowed: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def extension_schema(conn: psycopg.Connection) -> str:
    """The schema of plpgsql_check, creating the extension in the caller's transaction if needed."""
    row = conn.execute(
        "select n.nspname from pg_catalog.pg_extension as e join pg_catalog.pg_namespace as n "
        "on n.oid = e.extnamespace where e.extname = 'plpgsql_check'"
    ).fetchone()
    if row is not None:
        return str(row[0])
    conn.execute(sql.SQL("create schema {}").format(sql.Identifier(EXTENSION_SCHEMA)))
    conn.execute(sql.SQL("create extension plpgsql_check schema {}").format(sql.Identifier(EXTENSION_SCHEMA)))
    return EXTENSION_SCHEMA


def run_checks(conn: psycopg.Connection, schemas: list[str] | None = None) -> tuple[int, list[Finding]]:
    """(number of function/table pairs checked, findings), within the caller's transaction."""
    query = sql.SQL(CHECK).format(schema=sql.Identifier(extension_schema(conn)))
    targets = conn.execute(TARGETS, [schemas or SCHEMAS]).fetchall()
    findings: list[Finding] = []
    checked = 0
    for function, funcoid, relid, relation, oldtable, newtable, is_trigger in targets:
        if is_trigger and relid is None:
            # Nothing fires it, so there is no table to type its body against: say so, do not skip.
            findings.append(Finding(function, None, None, "error", "-", "trigger function is not used by any trigger"))
            continue
        params = {"funcoid": funcoid, "relid": relid, "oldtable": oldtable, "newtable": newtable}
        for lineno, level, sqlstate, message, detail, hint, _statement in conn.execute(query, params):
            findings.append(Finding(function, relation, lineno, level, sqlstate, message, detail, hint))
        checked += 1
    return checked, findings


def check(conn: psycopg.Connection, allowlist: Path, schemas: list[str] | None = None) -> PlpgsqlCheckReport:
    report = PlpgsqlCheckReport()
    try:
        allowances = allowlist_file.load(allowlist, ("function", "message"))
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        report.problems.append(f"the allow-list cannot be read: {exc}")
        return report
    report.checked, report.findings = run_checks(conn, schemas)
    report.allowed, problems = allowlist_file.apply(
        report.findings, allowances, lambda f: (f.function, f.message), source=str(ALLOWLIST), tool="plpgsql_check"
    )
    report.problems.extend(problems)
    return report


def main(url: str, root: Path, *, allowlist: Path | None = None) -> int:
    # autocommit, then one explicit transaction that is always rolled back: the extension (if this
    # check created it) disappears with it.
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction(force_rollback=True):
        report = check(conn, allowlist or root / ALLOWLIST)
    print(
        f"plpgsql_check: {report.checked} function(s) checked (trigger functions once per table), "
        f"{len(report.findings)} finding(s), {len(report.allowed)} allow-listed"
    )
    for problem in report.problems:
        print(f"error: {problem}", file=sys.stderr)
    if not report.ok:
        print(
            "error: plpgsql_check found problems in PL/pgSQL functions. Fix them in a new migration; if a "
            f"finding is intended, allow-list it in {ALLOWLIST} with function, message, count and reason.",
            file=sys.stderr,
        )
    return 0 if report.ok else 1
