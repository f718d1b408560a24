"""Up → down → up leaves the catalog identical, migration by migration, on a private cluster.

For each migration k: apply it (catalog S_k), apply its rollback (the catalog must equal
S_{k-1}), apply it again (it must equal S_k again). Catalog snapshots: `controlroom.gitops.catalog`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

import psycopg

from controlroom.gitops.catalog import HISTORY_DDL, apply_script, snapshot
from controlroom.gitops.migrations import migrations, rollback_for
from controlroom.localstack.migrate import apply_bootstrap
from controlroom.localstack.postgres import Cluster


def _apply(cluster: Cluster, script: Path, *, version: str | None, record: bool) -> None:
    apply_script(cluster.url(), script, version=version, record=record)


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
