"""The schema-wide pgTAP invariants are real gates: each fails when its rule is broken.

Each case breaks a rule inside one transaction, runs the unchanged invariant test file in it
(its own `begin` becomes a warning, its `rollback` undoes everything), and expects `not ok`.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest

from controlroom.settings import project_root

INVARIANTS = project_root() / "supabase" / "tests" / "database" / "invariants"

BREAKAGES = {
    "every_table_has_row_level_security": "create table public.{name} (id int);",
    "every_function_pins_search_path": (
        "create function public.{name}() returns int language sql as 'select 1';"
        "comment on function public.{name}() is 'x';"
    ),
    "only_allow_listed_functions_are_executable_by_anon": (
        "create function public.{name}() returns int language sql set search_path = '' as 'select 1';"
        "grant execute on function public.{name}() to anon;"
    ),
    "only_transition_runs_changes_a_run_status": (
        "create function private.{name}(run uuid) returns void language sql set search_path = ''"
        " as 'update public.runs set status = ''queued'' where id = run';"
    ),
    "every_table_column_and_function_has_a_comment": (
        "create table public.{name} (id int); alter table public.{name} enable row level security;"
    ),
}


def _tap(database_url: str, prelude: str, test_file: str) -> str:
    script = "begin;\n" + prelude + "\n" + (INVARIANTS / f"{test_file}.test.sql").read_text()
    proc = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", database_url], input=script, text=True, capture_output=True, check=False
    )
    return proc.stdout


@pytest.mark.parametrize("invariant", sorted(BREAKAGES))
def test_the_invariant_passes_as_is_and_fails_when_broken(invariant: str, database_url: str) -> None:
    clean = _tap(database_url, "", invariant)
    assert "not ok" not in clean
    assert "ok 1" in clean
    name = f"invariant_probe_{uuid.uuid4().hex[:8]}"
    broken = _tap(database_url, BREAKAGES[invariant].format(name=name), invariant)
    assert "not ok" in broken, broken
