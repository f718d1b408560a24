"""Up → down → up leaves the catalog identical, migration by migration, on a private cluster.

For each migration k: apply it (catalog S_k), apply its rollback (the catalog must equal
S_{k-1}), apply it again (it must equal S_k again). A catalog snapshot is `pg_dump --schema-only`
plus what pg_dump leaves out: cluster roles and their memberships, and pg_cron's jobs.
"""

from __future__ import annotations

import difflib
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg

from controlroom.gitops.migrations import migrations, rollback_for
from controlroom.localstack.migrate import apply_bootstrap
from controlroom.localstack.postgres import Cluster

HISTORY_DDL = """
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
    version text primary key, statements text[], name text
);
"""

ROLES = """
select r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcanlogin, r.rolbypassrls,
       coalesce(r.rolconfig, '{}'),
       array(select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid
             where m.member = r.oid order by 1)
from pg_roles r where r.rolname !~ '^pg_' order by 1
"""

CRON_JOBS = "select jobname, schedule, command, username, active from cron.job order by jobname"


def snapshot(cluster: Cluster) -> str:
    dump = subprocess.run(
        [str(cluster.settings.pg_bindir / "pg_dump"), "--schema-only", "-d", cluster.url()],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # pg_dump ≥ 15.14 brackets its output with \restrict lines carrying a random key.
    dump = "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))
    with psycopg.connect(cluster.url()) as conn:
        roles = "\n".join(repr(r) for r in conn.execute(ROLES).fetchall())
        jobs = "\n".join(repr(r) for r in conn.execute(CRON_JOBS).fetchall())
    return f"{dump}\n-- roles\n{roles}\n-- cron jobs\n{jobs}\n"


def _apply(cluster: Cluster, script: Path, *, version: str | None, record: bool) -> None:
    with psycopg.connect(cluster.url()) as conn:
        conn.execute(script.read_text())  # one transaction, like `supabase db push`
        if version is not None:
            if record:
                conn.execute(
                    "insert into supabase_migrations.schema_migrations (version, name) values (%s, %s)",
                    (version, script.stem),
                )
            else:
                conn.execute("delete from supabase_migrations.schema_migrations where version = %s", (version,))


def _diff(expected: str, actual: str, label: str) -> str:
    lines = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), "expected", label, n=2, lineterm=""))
    return "\n".join(lines[:60]) + ("\n…" if len(lines) > 60 else "")


def verify(supabase_dir: Path, cluster: Cluster, progress: Callable[[str], None] = lambda _: None) -> list[str]:
    """Returns the problems found (empty = every rollback is exact). The cluster must be new and running."""
    apply_bootstrap(cluster)
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(HISTORY_DDL)
    problems: list[str] = []
    before = snapshot(cluster)
    for migration in migrations(supabase_dir):
        version = migration.name.split("_", 1)[0]
        down = rollback_for(migration)
        progress(migration.name)
        try:
            _apply(cluster, migration, version=version, record=True)
        except psycopg.Error as exc:
            problems.append(f"{migration.name}: does not apply on top of its predecessors: {exc}")
            break
        after = snapshot(cluster)
        if not down.exists():
            problems.append(f"{migration.name}: no rollback supabase/rollbacks/{down.name}")
            before = after
            continue
        try:
            _apply(cluster, down, version=version, record=False)
        except psycopg.Error as exc:
            problems.append(f"{down.name}: rollback fails: {exc}")
            break
        reverted = snapshot(cluster)
        if reverted != before:
            problems.append(
                f"{down.name}: does not restore the catalog as it was before {migration.name}:\n"
                + _diff(before, reverted, "after rollback")
            )
            break
        _apply(cluster, migration, version=version, record=True)
        again = snapshot(cluster)
        if again != after:
            problems.append(f"{migration.name}: up → down → up differs from up:\n" + _diff(after, again, "re-applied"))
            break
        before = after
    return problems
