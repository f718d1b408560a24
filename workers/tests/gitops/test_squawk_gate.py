"""Safe-migration gate: committed migrations pass through the allow-list; a new unsafe one fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from controlroom.gitops import squawk
from controlroom.gitops.__main__ import main as gitops_main
from controlroom.settings import project_root

ROOT = project_root()
PREAMBLE = "-- Why: a planted migration.\n\nset lock_timeout = '5s';\nset statement_timeout = '60s';\n\n"
NEW = "29990101000000_change_runs.sql"


def _project(tmp_path: Path, body: str | None = None) -> Path:
    """A copy of the project's supabase/ and squawk configuration, with an optional new migration."""
    shutil.copytree(ROOT / "supabase", tmp_path / "supabase")
    shutil.copy(ROOT / squawk.CONFIG, tmp_path / squawk.CONFIG)
    if body is not None:
        (tmp_path / "supabase" / "migrations" / NEW).write_text(body)
    return tmp_path


def _problems_of_new(report: squawk.SquawkReport) -> list[str]:
    return [p for p in report.problems if p.startswith(f"{NEW}:")]


def test_committed_migrations_pass() -> None:
    report = squawk.check(ROOT)
    assert report.problems == []
    # The committed findings are there and every one is allow-listed, not silenced by the config.
    assert report.findings
    assert len(report.allowed) == len(report.findings)


def test_the_command_passes_on_the_project(capsys: pytest.CaptureFixture[str]) -> None:
    assert gitops_main(["squawk"]) == 0
    assert "allow-listed" in capsys.readouterr().out


def test_a_clean_new_migration_passes(tmp_path: Path) -> None:
    body = (
        PREAMBLE + "alter table public.runs add column note text;\n\n"
        "create table public.example_notes (id bigint generated always as identity primary key, note text);\n"
        "create index example_notes_note_idx on public.example_notes (note);\n\n"
        "comment on column public.runs.note is 'An example.';\n"
    )
    report = squawk.check(_project(tmp_path, body))
    assert report.problems == []


@pytest.mark.parametrize(
    ("statement", "rule"),
    [
        ("alter table public.runs drop column priority;", "ban-drop-column"),
        ("alter table public.runs add column note text not null;", "adding-required-field"),
        ("create index runs_created_at_idx on public.runs (created_at);", "require-concurrent-index-creation"),
        (
            "create index concurrently runs_created_at_idx on public.runs (created_at);",
            "ban-concurrent-index-creation-in-transaction",
        ),
        ("drop table public.run_transitions;", "ban-drop-table"),
        ("alter table public.runs alter column priority type bigint;", "changing-column-type"),
        (
            "alter table public.runs add constraint runs_note_check check (priority < 100);",
            "constraint-missing-not-valid",
        ),
    ],
)
def test_an_unsafe_new_migration_fails_naming_the_rule(tmp_path: Path, statement: str, rule: str) -> None:
    report = squawk.check(_project(tmp_path, PREAMBLE + statement + "\n"))
    problems = _problems_of_new(report)
    assert any(f"[{rule}]" in p for p in problems), report.problems
    # File, 1-based line of the statement, and squawk's help text.
    assert any(p.startswith(f"{NEW}:6: [{rule}]") and "help:" in p for p in problems), problems


@pytest.mark.parametrize("rule", ["require-lock-timeout", "require-statement-timeout"])
def test_a_new_migration_without_timeouts_fails(tmp_path: Path, rule: str) -> None:
    body = "-- Why: no timeouts.\n\nalter table public.runs add column note text;\n"
    report = squawk.check(_project(tmp_path, body))
    assert any(p.startswith(f"{NEW}:3: [{rule}]") for p in report.problems), report.problems


def test_the_command_fails_with_file_line_rule_and_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path, PREAMBLE + "alter table public.runs drop column priority;\n")
    assert squawk.main(project) == 1
    err = capsys.readouterr().err
    assert f"{NEW}:6: [ban-drop-column]" in err
    assert "help:" in err


def test_an_allow_listed_new_finding_passes_only_with_its_exact_count(tmp_path: Path) -> None:
    project = _project(tmp_path, PREAMBLE + "drop function public.requeue_stale_runs(timestamptz, uuid);\n")
    allowlist = project / squawk.ALLOWLIST
    entry = f'\n[[allow]]\nfile = "{NEW}"\nrule = "ban-drop-function"\ncount = {{count}}\nreason = "a test"\n'
    base = allowlist.read_text()
    allowlist.write_text(base + entry.format(count=1))
    assert squawk.check(project).problems == []
    allowlist.write_text(base + entry.format(count=2))
    assert any("allows 2 finding(s), squawk reports 1" in p for p in squawk.check(project).problems)


def test_an_allow_list_entry_needs_a_reason(tmp_path: Path) -> None:
    project = _project(tmp_path)
    allowlist = project / squawk.ALLOWLIST
    allowlist.write_text(allowlist.read_text() + f'\n[[allow]]\nfile = "{NEW}"\nrule = "ban-drop-column"\ncount = 1\n')
    assert any("needs a reason" in p for p in squawk.check(project).problems)


def test_a_stale_allow_list_entry_fails(tmp_path: Path) -> None:
    project = _project(tmp_path)
    allowlist = project / squawk.ALLOWLIST
    allowlist.write_text(
        allowlist.read_text()
        + '\n[[allow]]\nfile = "20261126020000_create_baseline_schemas.sql"\nrule = "ban-drop-column"\n'
        + 'count = 1\nreason = "nothing to allow"\n'
    )
    assert any("ban-drop-column" in p and "squawk reports 0" in p for p in squawk.check(project).problems)


def test_an_inline_squawk_ignore_fails(tmp_path: Path) -> None:
    body = PREAMBLE + "-- squawk-ignore ban-drop-column\nalter table public.runs drop column priority;\n"
    report = squawk.check(_project(tmp_path, body))
    assert any(p.startswith(f"{NEW}:6: inline squawk-ignore") for p in report.problems), report.problems
