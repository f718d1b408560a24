"""supabase/schemas/ builds exactly the catalog of the migrations, and planted drift fails the gate.

Each check starts two private throwaway clusters on free ports (like the rollback gate's
`fresh_cluster`), so these tests share nothing with the local stack or with each other.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from controlroom.gitops import schemas
from controlroom.settings import project_root

SUPABASE = project_root() / "supabase"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "supabase"
    shutil.copytree(SUPABASE, target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(text.replace(old, new))


def test_the_committed_schemas_match_the_migrations() -> None:
    report = schemas.check(SUPABASE)
    assert report.problems == []
    assert report.schema_files > 0
    assert report.seconds < 60


def test_a_function_body_changed_in_a_schema_file_fails_the_gate(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    _replace(
        copy / "schemas" / "0330_function_transition_run.sql",
        "        updated_at = transition_runs.as_of\n",
        "        updated_at = pg_catalog.now()\n",
    )
    report = schemas.check(copy)
    assert len(report.problems) == 1, report.problems
    problem = report.problems[0]
    assert problem.startswith("FUNCTION private.transition_runs(")
    assert "-        updated_at = transition_runs.as_of" in problem
    assert "+        updated_at = pg_catalog.now()" in problem
    assert "hint: edit supabase/schemas/0330_function_transition_run.sql or write the migration" in problem


def test_a_column_added_only_by_a_new_migration_fails_the_gate(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "migrations" / "29990101000000_add_runs_note.sql").write_text(
        "alter table public.runs add column note text;\n"
    )
    report = schemas.check(copy)
    assert len(report.problems) == 1, report.problems
    problem = report.problems[0]
    assert problem.startswith("TABLE public.runs: differs")
    assert "-    note text" in problem
    assert "hint: edit supabase/schemas/0240_table_runs.sql" in problem


def test_a_missing_grant_fails_the_gate(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    _replace(
        copy / "schemas" / "0530_function_start_run.sql",
        "grant execute on function public.start_run(uuid, timestamptz) to controlroom_executor;\n",
        "",
    )
    report = schemas.check(copy)
    assert len(report.problems) == 1, report.problems
    problem = report.problems[0]
    assert problem.startswith("ACL on FUNCTION public.start_run(")
    assert (
        "-GRANT ALL ON FUNCTION public.start_run(lease uuid, as_of timestamp with time zone) TO controlroom_executor;"
        in (problem)
    )
    assert "hint: edit supabase/schemas/0530_function_start_run.sql" in problem


def test_a_missing_cron_job_fails_the_gate(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "schemas" / "0610_cron_requeue_stale_runs.sql").write_text("select 1;\n")
    report = schemas.check(copy)
    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith(
        "CRON JOB controlroom_requeue_stale_runs: built by the migrations, missing from supabase/schemas/"
    )


def test_a_schema_file_that_does_not_apply_is_named_with_the_postgres_error(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "schemas" / "0999_broken.sql").write_text("select 1;\n\ncreate table public.broken (id no_such_type);\n")
    report = schemas.check(copy)
    assert len(report.problems) == 1, report.problems
    problem = report.problems[0]
    assert problem.startswith("supabase/schemas/0999_broken.sql does not apply")
    assert 'type "no_such_type" does not exist (line 3)' in problem


def test_grant_order_inside_an_object_is_not_drift() -> None:
    grants_one_way = (
        "--\n-- Name: FUNCTION f(); Type: ACL; Schema: public; Owner: postgres\n--\n\n"
        "GRANT ALL ON FUNCTION public.f() TO anon;\nGRANT ALL ON FUNCTION public.f() TO service_role;\n"
    )
    grants_other_way = (
        "--\n-- Name: FUNCTION f(); Type: ACL; Schema: public; Owner: postgres\n--\n\n"
        "GRANT ALL ON FUNCTION public.f() TO service_role;\nGRANT ALL ON FUNCTION public.f() TO anon;\n"
    )
    assert schemas.compare(grants_one_way, grants_other_way, {}) == []
    body_one = "--\n-- Name: f(); Type: FUNCTION; Schema: public; Owner: postgres\n--\n\nselect 1;\nselect 2;\n"
    body_two = "--\n-- Name: f(); Type: FUNCTION; Schema: public; Owner: postgres\n--\n\nselect 2;\nselect 1;\n"
    assert len(schemas.compare(body_one, body_two, {})) == 1
