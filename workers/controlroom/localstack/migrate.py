"""Schema: the Supabase compatibility bootstrap, then our migrations through the real Supabase CLI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from controlroom.localstack.errors import StackError
from controlroom.localstack.postgres import Cluster
from controlroom.settings import project_root

BOOTSTRAP = Path("supabase/bootstrap/supabase_compat.sql")


def supabase_cli() -> str:
    local = project_root() / "node_modules" / ".bin" / "supabase"
    if local.exists():
        return str(local)
    found = shutil.which("supabase")
    if found:
        return found
    raise StackError(
        "The Supabase CLI was not found (looked in node_modules/.bin and on PATH).",
        "Run scripts/setup, which installs the pinned supabase@2.117.0 with npm into this project.",
    )


def apply_bootstrap(cluster: Cluster) -> None:
    script = (project_root() / BOOTSTRAP).read_text()
    try:
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute(script)
            conn.execute(
                sql.SQL("alter role authenticator password {}").format(
                    sql.Literal(cluster.secrets.authenticator_password)
                )
            )
    except psycopg.Error as exc:
        raise StackError(
            f"The Supabase compatibility bootstrap ({BOOTSTRAP}) failed: {exc}".rstrip(),
            "Fix the statement it names; `controlroom reset` re-runs it on a fresh cluster.",
        ) from None


def push_migrations(cluster: Cluster) -> str:
    """`supabase db push` against the local cluster; returns the CLI's output."""
    url = cluster.url() + "?sslmode=disable"
    proc = subprocess.run(
        [supabase_cli(), "db", "push", "--db-url", url, "--yes", "--workdir", str(project_root())],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    output = (proc.stdout + proc.stderr).replace(cluster.secrets.db_password, "***")
    if proc.returncode != 0:
        log = cluster.settings.state_dir / "logs" / "migrations.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(output)
        lines = [ln for ln in output.strip().splitlines() if ln.strip()]
        raise StackError(
            f"Applying migrations with `supabase db push` failed: {' / '.join(lines[-4:])}.",
            "Fix the migration it names (a committed migration is never edited: add a new one), then "
            "run `controlroom up` again; `controlroom reset` starts from an empty database.",
            log=str(log),
        )
    reload_api_schema(cluster)
    return output


def reload_api_schema(cluster: Cluster) -> None:
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute("notify pgrst, 'reload schema'")
