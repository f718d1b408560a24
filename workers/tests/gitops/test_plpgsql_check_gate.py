"""plpgsql_check gate: the stack's functions pass; a planted defect fails it (all rolled back)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from controlroom.gitops import contract, plpgsql_check
from controlroom.gitops.__main__ import main as gitops_main
from controlroom.settings import project_root

# Each test creates the extension's schema and locks tables in an open transaction: two of them in
# parallel deadlock on the schema name, so they share one xdist worker.
pytestmark = pytest.mark.xdist_group("plpgsql-check")

ROOT = project_root()
ALLOWLIST = ROOT / plpgsql_check.ALLOWLIST


def _planted(db: psycopg.Connection, body: str) -> list[str]:
    db.execute(body)
    report = plpgsql_check.check(db, ALLOWLIST)
    return [p for p in report.problems if "gate_probe" in p]


def test_the_stacks_functions_pass(db: psycopg.Connection) -> None:
    report = plpgsql_check.check(db, ALLOWLIST)
    assert report.problems == []
    # Every PL/pgSQL function of public and private was checked, trigger functions with their tables.
    assert report.checked > 30


def test_the_command_passes_and_leaves_no_extension_behind(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gitops_main(["plpgsql-check"]) == 0
    assert "allow-listed" in capsys.readouterr().out
    with psycopg.connect(database_url) as conn:
        installed = conn.execute("select count(*) from pg_catalog.pg_extension where extname = 'plpgsql_check'")
        assert installed.fetchone() == (0,)
        # The API contract never sees the check's extension.
        committed = (ROOT / "supabase" / "contract.json").read_text()
        assert contract.render(contract.generate(conn)) == committed


def test_an_unused_variable_fails(db: psycopg.Connection) -> None:
    problems = _planted(
        db,
        """
        create function private.gate_probe() returns integer language plpgsql set search_path = '' as $$
        declare
            v_unused integer;
        begin
            return 1;
        end
        $$
        """,
    )
    assert any("private.gate_probe():3:" in p and 'unused variable "v_unused"' in p for p in problems), problems


def test_extra_and_performance_warnings_are_on(db: psycopg.Connection) -> None:
    problems = _planted(
        db,
        """
        create function private.gate_probe(unused_arg integer) returns integer
        language plpgsql stable set search_path = '' as $$
        declare
            v_never_read integer;
        begin
            v_never_read := 1;
            return (select pg_catalog.count(*) from public.runs);
        end
        $$
        """,
    )
    assert any('warning extra 00000: unused parameter "unused_arg"' in p for p in problems), problems
    assert any(
        'private.gate_probe(integer):3: warning extra 00000: never read variable "v_never_read"' in p for p in problems
    ), problems
    # count(*) is bigint, the result integer: a hidden cast, reported as a performance warning.
    assert any(":6: performance 42804: target type is different type than source type" in p for p in problems), problems


def test_a_body_cannot_switch_its_checks_off(db: psycopg.Connection) -> None:
    problems = _planted(
        db,
        """
        create function private.gate_probe() returns integer language plpgsql set search_path = '' as $$
        -- @plpgsql_check_options: extra_warnings = off, other_warnings = off
        declare
            v_unused integer;
        begin
            return 1;
        end
        $$
        """,
    )
    assert any('unused variable "v_unused"' in p for p in problems), problems


def test_a_missing_column_fails(db: psycopg.Connection) -> None:
    problems = _planted(
        db,
        """
        create function public.gate_probe() returns text language plpgsql set search_path = '' as $$
        begin
            return (select r.no_such_column from public.runs as r limit 1);
        end
        $$
        """,
    )
    assert any("public.gate_probe():3:" in p and "no_such_column" in p for p in problems), problems


def test_a_trigger_function_is_checked_with_its_table(db: psycopg.Connection) -> None:
    problems = _planted(
        db,
        """
        create function private.gate_probe() returns trigger language plpgsql set search_path = '' as $$
        begin
            if new.no_such_column is not null then
                return null;
            end if;
            return new;
        end
        $$;
        create trigger gate_probe before update on public.runs for each row execute function private.gate_probe();
        """,
    )
    assert any("private.gate_probe() on public.runs:3:" in p and "no_such_column" in p for p in problems), problems


def test_an_unattached_trigger_function_fails(db: psycopg.Connection) -> None:
    problems = _planted(
        db,
        "create function private.gate_probe() returns trigger language plpgsql as $$ begin return new; end $$",
    )
    assert any("not used by any trigger" in p for p in problems), problems


def test_a_stale_allow_list_entry_fails(db: psycopg.Connection, tmp_path: Path) -> None:
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text(
        ALLOWLIST.read_text()
        + '\n[[allow]]\nfunction = "public.gate_probe()"\nmessage = "nothing"\ncount = 1\nreason = "a test"\n'
    )
    report = plpgsql_check.check(db, allowlist)
    assert any("public.gate_probe()" in p and "reports 0" in p for p in report.problems), report.problems


def test_an_allow_list_entry_needs_a_reason(db: psycopg.Connection, tmp_path: Path) -> None:
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text('[[allow]]\nfunction = "public.gate_probe()"\nmessage = "nothing"\ncount = 1\n')
    assert any("needs a reason" in p for p in plpgsql_check.check(db, allowlist).problems)
