"""What the gates that replay SQL share: throwaway clusters, applying a script, catalog snapshots.

A catalog snapshot is `pg_dump --schema-only` plus what pg_dump leaves out: cluster roles (with
their settings, memberships and comments) and pg_cron's jobs. The rollback gate compares
snapshots before and after a rollback; the schema gate compares the snapshot of the migrations
with the snapshot of `supabase/schemas/`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from controlroom.localstack.postgres import Cluster
from controlroom.localstack.secrets import StackSecrets
from controlroom.settings import StackSettings

# `supabase db push` keeps its history here; `public.schema_version()` reads it, so both sides of
# a comparison create it before anything else.
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
             where m.member = r.oid order by 1),
       pg_catalog.shobj_description(r.oid, 'pg_authid')
from pg_roles r where r.rolname !~ '^pg_' order by 1
"""

CRON_JOBS = "select jobname, schedule, command, username, active from cron.job order by jobname"

ROLES_HEADER = "-- roles"
CRON_HEADER = "-- cron jobs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def private_cluster(state_dir: Path) -> Cluster:
    """A cluster of its own in state_dir, on a free loopback port, with the local stack's binaries."""
    base = StackSettings.from_env()
    settings = StackSettings(
        state_dir=state_dir,
        pg_port=free_port(),
        api_port=0,
        s3_port=0,
        pg_bindir=base.pg_bindir,
        s3_endpoint_url=None,
        bucket=base.bucket,
    )
    # Throwaway clusters trade durability for speed (fsync off); see Cluster.write_config.
    os.environ.setdefault("CONTROLROOM_PG_FAST", "1")
    return Cluster(settings, StackSecrets.load_or_create(settings.state_dir))


@contextmanager
def throwaway_cluster(state_dir: Path | None = None) -> Iterator[Cluster]:
    """initdb + start a private cluster; stopped and deleted on exit, whatever happened."""
    owned = state_dir is None
    folder = Path(tempfile.mkdtemp(prefix="controlroom-gate-")) if state_dir is None else state_dir
    cluster = private_cluster(folder)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
        if owned:
            shutil.rmtree(folder, ignore_errors=True)


def apply_script(url: str, script: Path, *, version: str | None = None, record: bool = True) -> None:
    """Runs a SQL file in one transaction, like `supabase db push` does for a migration.

    With a version, the same transaction records it in the migration history (record=False: forgets it).
    """
    with psycopg.connect(url) as conn:
        conn.execute(script.read_text())
        if version is None:
            return
        if record:
            conn.execute(
                "insert into supabase_migrations.schema_migrations (version, name) values (%s, %s)",
                (version, script.stem),
            )
        else:
            conn.execute("delete from supabase_migrations.schema_migrations where version = %s", (version,))


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
    return f"{dump}\n{ROLES_HEADER}\n{roles}\n{CRON_HEADER}\n{jobs}\n"
