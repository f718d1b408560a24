"""Forward-only migrations: the lock, the rollbacks, and exact up → down → up."""

from __future__ import annotations

import shutil
from pathlib import Path

from controlroom.gitops import migrations, rollbacks
from controlroom.localstack.postgres import Cluster
from controlroom.settings import project_root

SUPABASE = project_root() / "supabase"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "supabase"
    shutil.copytree(SUPABASE, target)
    return target


def test_committed_migrations_are_locked_named_and_have_rollbacks() -> None:
    report = migrations.check(SUPABASE)
    assert report.problems == []


def test_an_edited_migration_fails_the_gate(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    first = migrations.migrations(copy)[0]
    first.write_text(first.read_text() + "\n-- a quiet edit\n")
    report = migrations.check(copy)
    assert any("was edited" in p and first.name in p for p in report.problems), report.problems


def test_the_lock_never_relocks_an_edited_migration(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    first = migrations.migrations(copy)[0]
    lock_before = (copy / "migrations.lock").read_text()
    first.write_text(first.read_text() + "\n-- a quiet edit\n")
    report = migrations.check(copy, update=True)
    assert not report.ok
    assert (copy / "migrations.lock").read_text() == lock_before


def test_a_migration_missing_from_the_lock_fails_until_locked(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    new = copy / "migrations" / "29990101000000_create_example.sql"
    new.write_text("select 1;\n")
    (copy / "rollbacks" / "29990101000000_create_example.down.sql").write_text("select 1;\n")
    assert any("not in supabase/migrations.lock" in p for p in migrations.check(copy).problems)
    assert migrations.check(copy, update=True).added == [new.name]
    assert migrations.check(copy).ok


def test_a_missing_rollback_fails_the_gate(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    first = migrations.migrations(copy)[0]
    migrations.rollback_for(first).unlink()
    report = migrations.check(copy)
    assert any("no rollback" in p and first.name in p for p in report.problems), report.problems


def test_a_badly_named_migration_fails_the_gate(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "migrations" / "add stuff.sql").write_text("select 1;\n")
    assert any("name must be" in p for p in migrations.check(copy).problems)


def test_every_rollback_restores_the_catalog_exactly(fresh_cluster: Cluster) -> None:
    problems = rollbacks.verify(SUPABASE, fresh_cluster)
    assert problems == []


def test_an_inexact_rollback_is_caught(tmp_path: Path, fresh_cluster: Cluster) -> None:
    copy = _copy(tmp_path)
    (copy / "migrations" / "29990101000000_create_widgets.sql").write_text(
        "create table public.widgets (id int primary key);\n"
        "comment on table public.widgets is 'test';\n"
        "create index widgets_id on public.widgets (id);\n"
    )
    # Forgets nothing visible at first sight, but leaves the index's table behind.
    (copy / "rollbacks" / "29990101000000_create_widgets.down.sql").write_text("drop index public.widgets_id;\n")
    problems = rollbacks.verify(copy, fresh_cluster)
    assert len(problems) == 1
    assert "29990101000000_create_widgets.down.sql" in problems[0]
    assert "widgets" in problems[0]
