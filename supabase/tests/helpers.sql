-- pgTAP helpers owned by this repository (schema `tests`). NOT a migration: the test runner
-- installs it once per database, after the migrations and before pg_prove:
--     psql "$DATABASE_URL" -f supabase/tests/helpers.sql
-- Idempotent (create or replace) and self-contained: nothing is fetched at test time.
-- Identities are set the way PostgREST sets them: a transaction-local role plus
-- request.jwt.claims, so every helper must be called inside the test's transaction.
--
-- How a test file reads (one behaviour per file):
--     begin;
--     select plan(3);
--
--     -- SETUP
--     select tests.seed();
--     select * from tests.dead_lease() \gset
--
--     -- TEST: a start with a dead lease is rejected
--     select is(public.start_run(:'lease') ->> 'code', 'PT409', '...');
--     select throws_ok(format($$ select public.fail_run(%L, null, 'io') $$, :'lease'), ...);
--
--     select * from finish();
--     rollback;
--
-- One pattern holds a scenario: a scenario helper (tests.queued_run, tests.claimed_attempt,
-- tests.running_attempt, tests.dead_lease, tests.registered_artifact) returns its ids as one
-- record, and `\gset` keeps them in psql variables (pg_prove runs each file through psql, so this
-- works under `pg_prove -j 2`); `\gset zombie_` prefixes the names when a test holds two scenarios.
-- psql replaces `:'lease'` by a quoted literal outside quotes only: inside a dollar-quoted query
-- (throws_ok, results_eq, lives_ok) pass the value with format($$ ... %L ... $$, :'lease').
-- A null value cannot be kept (\gset unsets the variable): assert on it directly.
-- Nothing is stashed in settings. `-- SETUP` marks the arrangement and `-- TEST: <what>` each
-- group of assertions. Every sweep is scoped to the test's own workspace
-- (public.requeue_stale_runs(as_of, workspace_id)): pg_prove -j 2 and the Python tests share the
-- database. The linter (sqlfluff) reads consecutive `\gset` lines and the statement after them
-- as one statement that may hold selects only: DDL (create temporary table, create function
-- pg_temp.…) goes before the scenario or after a plain `select …;`.

create schema if not exists tests;
comment on schema tests is 'pgTAP helpers of Lakehouse Control Room (installed by the test runner, not by migrations).';

grant usage on schema tests to anon, authenticated, service_role, controlroom_executor;
-- pgTAP lives in `extensions`; assertions made while acting as an executor must reach it. The
-- control plane itself never needs this (its functions use pg_catalog only), so it is granted
-- here, in test databases only, and not by a migration.
grant usage on schema extensions to controlroom_executor;

-- Users ------------------------------------------------------------------------------------

create or replace function tests.create_user(identifier text, email text default null)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_id uuid;
begin
    insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data)
    values (
        pg_catalog.gen_random_uuid(), 'authenticated', 'authenticated',
        coalesce(
            create_user.email,
            create_user.identifier || '-' || pg_catalog.gen_random_uuid()::text || '@test.invalid'
        ),
        '{"provider": "email"}'::jsonb,
        pg_catalog.jsonb_build_object('test_identifier', create_user.identifier)
    )
    returning id into v_id;
    return v_id;
end
$$;

comment on function tests.create_user(text, text) is
'Creates an auth.users row tagged with a test identifier; returns its id.';

create or replace function tests.get_user_id(identifier text)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_id uuid;
begin
    select u.id into v_id
    from auth.users as u
    where u.raw_user_meta_data ->> 'test_identifier' = get_user_id.identifier;
    if v_id is null then
        raise exception 'test user % does not exist', get_user_id.identifier
        using errcode = 'PT404', hint = 'Create it with tests.create_user first.';
    end if;
    return v_id;
end
$$;

comment on function tests.get_user_id(text) is 'The id of a user created by tests.create_user.';

-- Identities -------------------------------------------------------------------------------

create or replace function tests.authenticate_as(identifier text)
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_id uuid;
    v_email text;
begin
    perform tests.reset_role();  -- read auth.users as the test's own superuser
    select u.id, u.email into v_id, v_email
    from auth.users as u
    where u.id = tests.get_user_id(authenticate_as.identifier);
    perform pg_catalog.set_config('role', 'authenticated', true);
    perform pg_catalog.set_config(
        'request.jwt.claims',
        pg_catalog.jsonb_build_object(
            'sub', v_id, 'role', 'authenticated', 'aud', 'authenticated', 'email', v_email
        )::text,
        true
    );
end
$$;

comment on function tests.authenticate_as(text) is
'Acts as a signed-in user for the rest of the transaction (role authenticated + JWT claims).';

create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
set search_path = ''
as $$
begin
    perform pg_catalog.set_config('role', 'service_role', true);
    perform pg_catalog.set_config('request.jwt.claims', '{"role": "service_role"}', true);
end
$$;

comment on function tests.authenticate_as_service_role() is
'Acts as the service role (the service key has no sub claim).';

create or replace function tests.executor_sub(pool text, workspace_id uuid default null)
returns uuid
language sql
immutable
set search_path = ''
as $$
    select pg_catalog.md5('executor:' || executor_sub.pool || ':' || coalesce(executor_sub.workspace_id::text, ''))::uuid
$$;

comment on function tests.executor_sub(text, uuid) is
'The sub claim tests.authenticate_as_executor uses by default: stable per (pool, workspace) within a test.';

create or replace function tests.authenticate_as_executor(
    pool text, workspace_id uuid default null, sub uuid default null
)
returns void
language plpgsql
set search_path = ''
as $$
begin
    perform pg_catalog.set_config('role', 'controlroom_executor', true);
    perform pg_catalog.set_config(
        'request.jwt.claims',
        pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'role', 'controlroom_executor',
            'sub', coalesce(
                authenticate_as_executor.sub,
                tests.executor_sub(authenticate_as_executor.pool, authenticate_as_executor.workspace_id)
            ),
            'pool', authenticate_as_executor.pool,
            'workspace_id', authenticate_as_executor.workspace_id
        ))::text,
        true
    );
end
$$;

comment on function tests.authenticate_as_executor(text, uuid, uuid) is
'Acts as an executor: role controlroom_executor with claims pool, optional workspace_id and sub (default: tests.executor_sub).';

create or replace function tests.clear_authentication()
returns void
language plpgsql
set search_path = ''
as $$
begin
    perform pg_catalog.set_config('role', 'anon', true);
    perform pg_catalog.set_config('request.jwt.claims', '{"role": "anon"}', true);
end
$$;

comment on function tests.clear_authentication() is 'Acts as anon, as PostgREST does for a request without a user token.';

create or replace function tests.reset_role()
returns void
language plpgsql
set search_path = ''
as $$
begin
    perform pg_catalog.set_config('role', 'none', true);
    perform pg_catalog.set_config('request.jwt.claims', '', true);
end
$$;

comment on function tests.reset_role() is 'Back to the test''s own superuser identity.';

-- Fixtures (run as the superuser, through the real RPCs where one exists) --------------------

create or replace function tests.create_workspace(owner_identifier text default null, slug text default null)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_id uuid;
    v_slug text := coalesce(create_workspace.slug, 'ws-' || pg_catalog.gen_random_uuid()::text);
begin
    insert into public.workspaces (slug, name) values (v_slug, v_slug)
    returning id into v_id;
    if create_workspace.owner_identifier is not null then
        insert into public.workspace_members (workspace_id, user_id, role)
        values (v_id, tests.get_user_id(create_workspace.owner_identifier), 'owner');
    end if;
    return v_id;
end
$$;

comment on function tests.create_workspace(text, text) is
'Creates a workspace (random slug unless given, optional owner); returns its id.';

create or replace function tests.add_member(workspace_id uuid, identifier text, role text)
returns void
language sql
security definer
set search_path = ''
as $$
    insert into public.workspace_members (workspace_id, user_id, role)
    values (add_member.workspace_id, tests.get_user_id(add_member.identifier), add_member.role)
$$;

comment on function tests.add_member(uuid, text, text) is 'Adds a test user to a workspace with a role.';

create or replace function tests.publish_spec(
    workspace_id uuid, name text, version text default '1', body jsonb default '{}'::jsonb
)
returns uuid
language sql
security definer
set search_path = ''
as $$
    insert into public.pipeline_specs (workspace_id, name, version, body)
    values (
        publish_spec.workspace_id, publish_spec.name, publish_spec.version,
        pg_catalog.jsonb_build_object('name', publish_spec.name, 'version', publish_spec.version)
        || publish_spec.body
    )
    returning id
$$;

comment on function tests.publish_spec(uuid, text, text, jsonb) is
'Publishes a spec version (body gets name and version); returns its id.';

create or replace function tests.submit_run(
    workspace_id uuid, spec_name text, priority integer default 0, as_of timestamptz default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_id uuid;
begin
    select r.id into v_id
    from public.submit_run(
        workspace_id => submit_run.workspace_id, spec_name => submit_run.spec_name,
        priority => submit_run.priority, as_of => submit_run.as_of
    ) as r;
    return v_id;
end
$$;

comment on function tests.submit_run(uuid, text, integer, timestamptz) is
'Submits a run as the superuser (actor service_role); returns its id. Call it before switching identity.';

-- A standard world for behaviour tests --------------------------------------------------------
-- tests.seed(): users owner, admin, operator, viewer (members of workspace tests.workspace_id())
-- and outsider (owner of tests.other_workspace_id()); spec etl@1 in both, in pool tests.pool(),
-- a pool name unique to this transaction so that committed work of other suites never interferes.

create or replace function tests.seed(body jsonb default '{}'::jsonb)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_workspace uuid;
    v_other uuid;
    v_pool text := 'pool-' || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '');
begin
    perform tests.create_user('owner');
    perform tests.create_user('admin');
    perform tests.create_user('operator');
    perform tests.create_user('viewer');
    perform tests.create_user('outsider');
    v_workspace := tests.create_workspace('owner');
    perform tests.add_member(v_workspace, 'admin', 'admin');
    perform tests.add_member(v_workspace, 'operator', 'operator');
    perform tests.add_member(v_workspace, 'viewer', 'viewer');
    v_other := tests.create_workspace('outsider');
    perform pg_catalog.set_config('tests.workspace_id', v_workspace::text, true);
    perform pg_catalog.set_config('tests.other_workspace_id', v_other::text, true);
    perform pg_catalog.set_config('tests.pool', v_pool, true);
    perform tests.publish_spec(v_workspace, 'etl', '1', pg_catalog.jsonb_build_object('pool', v_pool) || seed.body);
    perform tests.publish_spec(v_other, 'etl', '1', pg_catalog.jsonb_build_object('pool', v_pool) || seed.body);
    return v_workspace;
end
$$;

comment on function tests.seed(jsonb) is
'Creates the standard test world (see the comment above it); body is merged into the etl@1 spec body.';

create or replace function tests.workspace_id()
returns uuid
language sql
stable
set search_path = ''
as $$
    select pg_catalog.current_setting('tests.workspace_id')::uuid
$$;

comment on function tests.workspace_id() is 'The seeded workspace (members owner, admin, operator, viewer).';

create or replace function tests.other_workspace_id()
returns uuid
language sql
stable
set search_path = ''
as $$
    select pg_catalog.current_setting('tests.other_workspace_id')::uuid
$$;

comment on function tests.other_workspace_id() is 'The seeded workspace of the outsider.';

create or replace function tests.pool()
returns text
language sql
stable
set search_path = ''
as $$
    select pg_catalog.current_setting('tests.pool')
$$;

comment on function tests.pool() is 'The pool of the seeded specs (unique to the transaction).';

create or replace function tests.executor(
    workspace_id uuid default null, labels jsonb default '{}'::jsonb, sub uuid default null
)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
    v_id uuid;
begin
    perform tests.authenticate_as_executor(tests.pool(), executor.workspace_id, executor.sub);
    select x.id into v_id from public.register_executor(labels => executor.labels) as x;
    return v_id;
end
$$;

comment on function tests.executor(uuid, jsonb, uuid) is
'Acts as an executor of tests.pool() and registers it; returns the executor id (the role stays the executor).';

create or replace function tests.claim(executor_id uuid, as_of timestamptz default null)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
    v_lease uuid;
begin
    select c.lease_token into v_lease
    from public.claim_runs(executor_id => claim.executor_id, max_runs => 1, as_of => claim.as_of) as c;
    return v_lease;
end
$$;

comment on function tests.claim(uuid, timestamptz) is 'Claims one run as the current executor; returns its lease token (null if none).';

create or replace function tests.attempt(lease uuid)
returns public.run_attempts
language sql
stable
security definer
set search_path = ''
as $$
    select a.* from public.run_attempts as a where a.lease_token = attempt.lease
$$;

comment on function tests.attempt(uuid) is 'The attempt holding a lease (read as the superuser, whatever the current role).';

create or replace function tests.run(run_id uuid)
returns public.runs
language sql
stable
security definer
set search_path = ''
as $$
    select r.* from public.runs as r where r.id = run.run_id
$$;

comment on function tests.run(uuid) is 'A run (read as the superuser, whatever the current role).';

-- Scenarios: each returns the ids a test needs as one record (keep it with `\gset`) ----------

create or replace function tests.queued_run(
    submitted_at timestamptz default null, workspace_id uuid default null, priority integer default 0
)
returns table (run_id uuid)
language plpgsql
set search_path = ''
as $$
begin
    queued_run.run_id := tests.submit_run(
        coalesce(queued_run.workspace_id, tests.workspace_id()), 'etl',
        queued_run.priority, queued_run.submitted_at
    );
    return next;
end
$$;

comment on function tests.queued_run(timestamptz, uuid, integer) is
'After tests.seed(): a run of etl@1 submitted at submitted_at (default now) in the workspace (default tests.workspace_id()); returns (run_id).';

create or replace function tests.claimed_attempt(
    claimed_at timestamptz default null, workspace_id uuid default null, by_executor uuid default null
)
returns table (run_id uuid, executor_id uuid, lease uuid, attempt_id uuid)
language plpgsql
set search_path = ''
as $$
declare
    v_workspace uuid := coalesce(claimed_attempt.workspace_id, tests.workspace_id());
    v_submitted uuid;
begin
    perform tests.reset_role();
    -- Submitted an hour before an explicit claim time, so the run is due when it is claimed.
    v_submitted := tests.submit_run(v_workspace, 'etl', 0, claimed_attempt.claimed_at - interval '1 hour');
    if claimed_attempt.by_executor is null then
        claimed_attempt.executor_id := tests.executor(v_workspace);
    else
        claimed_attempt.executor_id := claimed_attempt.by_executor;
        perform tests.authenticate_as_executor(tests.pool(), v_workspace);
    end if;
    select c.run_id, c.lease_token into claimed_attempt.run_id, claimed_attempt.lease
    from public.claim_runs(
        executor_id => claimed_attempt.executor_id, max_runs => 1, as_of => claimed_attempt.claimed_at
    ) as c;
    if claimed_attempt.run_id is distinct from v_submitted then
        raise exception 'the claim took run %, not the run just submitted (%)', claimed_attempt.run_id, v_submitted
        using errcode = 'PT500', hint = 'Another run of the workspace was due first: arrange the scenario before it.';
    end if;
    claimed_attempt.attempt_id := (tests.attempt(claimed_attempt.lease)).id;
    return next;
end
$$;

comment on function tests.claimed_attempt(timestamptz, uuid, uuid) is
'After tests.seed(): a run submitted and claimed at claimed_at (default now) by a new executor of the workspace (default tests.workspace_id()), or by the executor by_executor of that workspace; returns (run_id, executor_id, lease, attempt_id). The caller then acts as that executor.';

create or replace function tests.running_attempt(
    started_at timestamptz default null, workspace_id uuid default null, by_executor uuid default null
)
returns table (run_id uuid, executor_id uuid, lease uuid, attempt_id uuid)
language plpgsql
set search_path = ''
as $$
begin
    select c.run_id, c.executor_id, c.lease, c.attempt_id
    into running_attempt.run_id, running_attempt.executor_id, running_attempt.lease, running_attempt.attempt_id
    from tests.claimed_attempt(
        running_attempt.started_at, running_attempt.workspace_id, running_attempt.by_executor
    ) as c;
    perform public.start_run(running_attempt.lease, running_attempt.started_at);
    return next;
end
$$;

comment on function tests.running_attempt(timestamptz, uuid, uuid) is
'Like tests.claimed_attempt, then started at the same time: the attempt is running. The caller then acts as its executor.';

create or replace function tests.dead_lease(started boolean default false, workspace_id uuid default null)
returns table (run_id uuid, executor_id uuid, lease uuid, attempt_id uuid)
language plpgsql
set search_path = ''
as $$
declare
    v_workspace uuid := coalesce(dead_lease.workspace_id, tests.workspace_id());
    v_claimed_at timestamptz := pg_catalog.now() - interval '1 hour';
begin
    select c.run_id, c.executor_id, c.lease, c.attempt_id
    into dead_lease.run_id, dead_lease.executor_id, dead_lease.lease, dead_lease.attempt_id
    from tests.claimed_attempt(v_claimed_at, v_workspace) as c;
    if dead_lease.started then
        perform public.start_run(dead_lease.lease, v_claimed_at);
    end if;
    perform tests.reset_role();
    perform public.requeue_stale_runs(null, v_workspace);
    if (tests.attempt(dead_lease.lease)).status is distinct from 'lost' then
        raise exception 'the stale attempt % was not lost by the requeue', dead_lease.attempt_id
        using errcode = 'PT500', hint = 'The spec''s heartbeat tolerance must be shorter than an hour.';
    end if;
    perform tests.authenticate_as_executor(tests.pool(), v_workspace);
    return next;
end
$$;

comment on function tests.dead_lease(boolean, uuid) is
'After tests.seed(): an attempt claimed (and started, if asked) an hour ago whose lease went stale and was lost by a requeue of its workspace only; the run is queued again with backoff. Returns (run_id, executor_id, lease, attempt_id); the caller then acts as the executor.';

create or replace function tests.registered_artifact()
returns table (run_id uuid, executor_id uuid, lease uuid, attempt_id uuid, artifact_id uuid)
language plpgsql
set search_path = ''
as $$
begin
    select r.run_id, r.executor_id, r.lease, r.attempt_id
    into registered_artifact.run_id, registered_artifact.executor_id, registered_artifact.lease,
        registered_artifact.attempt_id
    from tests.running_attempt() as r;
    registered_artifact.artifact_id := (
        public.register_artifact(
            registered_artifact.lease, 'extract', 'out.csv',
            pg_catalog.format(
                's3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), registered_artifact.run_id
            ),
            pg_catalog.repeat('a', 64), 100
        ) ->> 'artifact_id'
    )::uuid;
    return next;
end
$$;

comment on function tests.registered_artifact() is
'After tests.seed(): a running attempt (tests.running_attempt) that registered extract/out.csv (sha256 ''a'' x 64, 100 bytes); returns (run_id, executor_id, lease, attempt_id, artifact_id). The caller then acts as the executor.';

create or replace function tests.seed_activity()
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_workspace uuid;
    v_executor uuid;
    v_lease uuid;
begin
    foreach v_workspace in array array[tests.workspace_id(), tests.other_workspace_id()] loop
        perform tests.reset_role();
        perform tests.submit_run(v_workspace, 'etl');
        v_executor := tests.executor(v_workspace);
        v_lease := tests.claim(v_executor);
        perform public.start_run(v_lease);
        perform public.emit_events(v_lease, '[{"type": "phase.started", "seq": 1}]');
    end loop;
    perform tests.reset_role();
end
$$;

comment on function tests.seed_activity() is
'After tests.seed(): in each workspace one run submitted, claimed and started by a workspace executor, with one event.';

create or replace function tests.explain(query text)
returns setof text
language plpgsql
set search_path = ''
as $$
declare
    v_line text;
begin
    for v_line in execute 'explain (costs off) ' || explain.query loop
        return next v_line;
    end loop;
end
$$;

comment on function tests.explain(text) is 'The plan of a query (EXPLAIN, costs off), one line per row.';

-- Schema-wide invariants ------------------------------------------------------------------

create or replace function tests.tables_without_rls(schemas text[])
returns setof text
language sql
stable
set search_path = ''
as $$
    select pg_catalog.format('%I.%I', n.nspname, c.relname)
    from pg_catalog.pg_class as c
    inner join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
    where n.nspname = any(tables_without_rls.schemas)
      and c.relkind in ('r', 'p')
      and not c.relrowsecurity
    order by 1
$$;

comment on function tests.tables_without_rls(text[]) is 'Tables of the schemas without row level security.';

create or replace function tests.functions_without_search_path(schemas text[])
returns setof text
language sql
stable
set search_path = ''
as $$
    select p.oid::pg_catalog.regprocedure::text
    from pg_catalog.pg_proc as p
    inner join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
    where n.nspname = any(functions_without_search_path.schemas)
      and p.prokind in ('f', 'p')
      and not exists (
          select from pg_catalog.pg_depend as d
          where d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass and d.objid = p.oid and d.deptype = 'e'
      )
      and not coalesce('search_path=""' = any(p.proconfig), false)
    order by 1
$$;

comment on function tests.functions_without_search_path(text[]) is
'Functions of the schemas (extension members excepted) that do not pin search_path to ''''.';

create or replace function tests.functions_executable_by_anon(schema_name text)
returns setof text
language sql
stable
set search_path = ''
as $$
    select p.oid::pg_catalog.regprocedure::text
    from pg_catalog.pg_proc as p
    inner join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
    where n.nspname = functions_executable_by_anon.schema_name
      and not exists (
          select from pg_catalog.pg_depend as d
          where d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass and d.objid = p.oid and d.deptype = 'e'
      )
      and pg_catalog.has_function_privilege('anon', p.oid, 'execute')
    order by 1
$$;

comment on function tests.functions_executable_by_anon(text) is 'Functions of a schema that anon may execute.';

-- Alerting (issue 14) -----------------------------------------------------------------------------

create or replace function tests.routes(routes jsonb default null, extra jsonb default '{}'::jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
    -- A routing document with two targets; by default one route taking everything, tier 1 (oncall)
    -- at once and tier 2 (lead) 600 s later.
    select pg_catalog.jsonb_build_object(
        'targets', pg_catalog.jsonb_build_object(
            'oncall', pg_catalog.jsonb_build_object('kind', 'webhook', 'url_secret', 'ONCALL_URL', 'signing_secret', 'ONCALL_KEY'),
            'lead', pg_catalog.jsonb_build_object('kind', 'slack', 'url_secret', 'LEAD_SLACK_URL')
        ),
        'routes', coalesce(routes.routes, '[{"name": "all", "escalation": [{"targets": ["oncall"], "after_seconds": 0}, {"targets": ["lead"], "after_seconds": 600}]}]'::jsonb)
    ) || routes.extra
$$;

comment on function tests.routes(jsonb, jsonb) is
'A routing document: targets oncall (webhook) and lead (slack), the given routes (default: route all, tier 1 oncall at once, tier 2 lead after 600 s), merged with extra.';

create or replace function tests.publish_routes(body jsonb default null, workspace_id uuid default null, as_of timestamptz default null)
returns jsonb
language sql
security definer
set search_path = ''
as $$
    select public.publish_routes(
        coalesce(publish_routes.workspace_id, tests.workspace_id()), coalesce(publish_routes.body, tests.routes()),
        publish_routes.as_of
    )
$$;

comment on function tests.publish_routes(jsonb, uuid, timestamptz) is
'After tests.seed(): publishes a routing document (default tests.routes()) for the workspace (default tests.workspace_id()) as the superuser.';

create or replace function tests.raise_signal(
    signal_type text default 'run_failed', fingerprint text default null, raised_at timestamptz default null,
    severity text default 'critical', spec_name text default 'etl', labels jsonb default '{}'::jsonb,
    workspace_id uuid default null, run_id uuid default null
)
returns bigint
language sql
security definer
set search_path = ''
as $$
    -- As the database raises them (the triggers and the sweep insert as the owner).
    insert into public.alert_signals (
        workspace_id, run_id, spec_name, pool, signal_type, severity, fingerprint, is_recovery, labels, raised_at
    )
    values (
        coalesce(raise_signal.workspace_id, tests.workspace_id()), raise_signal.run_id, raise_signal.spec_name,
        tests.pool(), raise_signal.signal_type, raise_signal.severity,
        coalesce(raise_signal.fingerprint, raise_signal.signal_type || ':spec:' || raise_signal.spec_name),
        raise_signal.signal_type in ('run_recovered', 'queue_drained', 'executor_recovered', 'budget_recovered'),
        raise_signal.labels, coalesce(raise_signal.raised_at, pg_catalog.now())
    )
    returning id
$$;

comment on function tests.raise_signal(text, text, timestamptz, text, text, jsonb, uuid, uuid) is
'After tests.seed(): inserts a signal as the database would (default run_failed of etl, critical, now); returns its id.';

create or replace function tests.alert(fingerprint text default 'run_failed:spec:etl', route_name text default 'all')
returns public.alerts
language sql
stable
security definer
set search_path = ''
as $$
    select a.* from public.alerts as a
    where a.workspace_id = tests.workspace_id() and a.fingerprint = alert.fingerprint and a.route_name = alert.route_name
    order by a.opened_at desc
    limit 1
$$;

comment on function tests.alert(text, text) is
'After tests.seed(): the latest alert of the workspace with this fingerprint on this route (default run_failed:spec:etl on all).';

grant execute on all functions in schema tests to anon, authenticated, service_role, controlroom_executor;

-- Schedules ------------------------------------------------------------------------------------

create or replace function tests.scheduled_spec(
    workspace_id uuid, spec_name text, schedules jsonb, since timestamptz, version text default '1',
    body jsonb default '{}'::jsonb
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_spec uuid;
begin
    -- Publish materialises the schedules as of the transaction's clock; tests move them to the
    -- instant their as_of story starts at.
    v_spec := tests.publish_spec(
        scheduled_spec.workspace_id, scheduled_spec.spec_name, scheduled_spec.version,
        pg_catalog.jsonb_build_object('schedules', scheduled_spec.schedules) || scheduled_spec.body
    );
    update public.schedules as s
    set fired_through = scheduled_spec.since,
        next_fire_at = private.cron_next_fire(s.cron, s.timezone, scheduled_spec.since)
    where s.spec_id = v_spec;
    return v_spec;
end
$$;

comment on function tests.scheduled_spec(uuid, text, jsonb, timestamptz, text, jsonb) is
'Publishes a spec with body.schedules and sets its schedules to have fired through since (their as_of story starts there); returns the spec id.';

create or replace function tests.fires(cron text, timezone text, after timestamptz, until timestamptz)
returns text[]
language sql
stable
set search_path = ''
as $$
    select pg_catalog.array_agg(
        pg_catalog.to_char(f.at at time zone fires.timezone, 'YYYY-MM-DD HH24:MI') || ' '
        || pg_catalog.to_char(f.at at time zone 'UTC', '"="HH24:MI"Z"')
        order by f.at
    )
    from private.cron_fires(fires.cron, fires.timezone, fires.after, fires.until) as f (at)
$$;

comment on function tests.fires(text, text, timestamptz, timestamptz) is
'Fire times of a cron expression in (after, until] as ''<local YYYY-MM-DD HH:MI> =<UTC HH:MI>Z'' text, for readable assertions.';
