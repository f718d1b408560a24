"""What the local database must offer before any feature: Supabase's roles, auth helpers, pgTAP, pg_cron."""

from __future__ import annotations

import json
import time
import uuid

import psycopg


def test_pgtap_is_installed(db: psycopg.Connection) -> None:
    row = db.execute("select extversion from pg_extension where extname = 'pgtap'").fetchone()
    assert row is not None


def test_bootstrap_roles_have_supabase_attributes(db: psycopg.Connection) -> None:
    rows = db.execute(
        "select rolname, rolcanlogin, rolinherit, rolbypassrls, rolsuper from pg_roles "
        "where rolname in ('anon', 'authenticated', 'service_role', 'authenticator')"
    ).fetchall()
    roles = {r[0]: r[1:] for r in rows}
    assert set(roles) == {"anon", "authenticated", "service_role", "authenticator"}
    assert roles["authenticator"] == (True, False, False, False)  # login, NOINHERIT, not superuser
    assert roles["service_role"][0] is False  # nologin
    assert roles["service_role"][2] is True  # BYPASSRLS
    assert roles["anon"][0] is False
    assert roles["authenticated"][0] is False
    granted = {
        r[0]
        for r in db.execute(
            "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid "
            "join pg_roles u on u.oid = m.member where u.rolname = 'authenticator'"
        ).fetchall()
    }
    assert {"anon", "authenticated", "service_role"} <= granted


def test_auth_uid_reads_sub_from_request_jwt_claims(db: psycopg.Connection) -> None:
    user = uuid.uuid4()
    claims = json.dumps({"sub": str(user), "role": "authenticated", "email": "a@example.org"})
    db.execute("select set_config('request.jwt.claims', %s, true)", (claims,))
    db.execute("set local role authenticated")
    row = db.execute("select auth.uid(), auth.role(), auth.jwt() ->> 'email'").fetchone()
    assert row == (user, "authenticated", "a@example.org")


def test_auth_uid_is_null_without_claims(db: psycopg.Connection) -> None:
    db.execute("set local role anon")
    row = db.execute("select auth.uid()").fetchone()
    assert row == (None,)


def test_pg_cron_schedules_and_runs_a_job(database_url: str) -> None:
    name = f"controlroom_test_probe_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        job_row = conn.execute("select cron.schedule(%s, '* * * * *', 'select 1')", (name,)).fetchone()
        assert job_row is not None
        job_id = job_row[0]
        try:
            # pg_cron 1.4 (Debian 12) has minute granularity: the job runs at the next minute.
            deadline = time.monotonic() + 125
            status = None
            while time.monotonic() < deadline:
                found = conn.execute(
                    "select status from cron.job_run_details where jobid = %s order by runid desc limit 1",
                    (job_id,),
                ).fetchone()
                if found and found[0] in ("succeeded", "failed"):
                    status = found[0]
                    break
                time.sleep(1)
        finally:
            conn.execute("select cron.unschedule(%s)", (job_id,))
    assert status == "succeeded"
