begin;
select plan(3);

-- TEST: the executor role has no table privileges
select is_empty(
    $$
    select c.relname
    from pg_catalog.pg_class as c
    inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
    where n.nspname in ('public', 'private', 'auth')
      and c.relkind in ('r', 'p', 'v', 'm')
      and (
          has_table_privilege('controlroom_executor', c.oid, 'select')
          or has_table_privilege('controlroom_executor', c.oid, 'insert')
          or has_table_privilege('controlroom_executor', c.oid, 'update')
          or has_table_privilege('controlroom_executor', c.oid, 'delete')
      )
    $$,
    'the executor role has no table or view privileges'
);

-- TEST: the executor role executes exactly the executor RPCs
select set_eq(
    $$
    select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
    from pg_catalog.pg_proc as p
    inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
    where n.nspname in ('public', 'private')
      and has_function_privilege('controlroom_executor', p.oid, 'execute')
    $$,
    array[
        'public.register_executor(pool text, labels jsonb, version text, host text, heartbeat_seconds double precision, as_of timestamp with time zone)',
        'public.report_executor_status(executor_id uuid, status text, as_of timestamp with time zone)',
        'public.claim_runs(executor_id uuid, max_runs integer, pool text, labels jsonb, as_of timestamp with time zone, start boolean)',
        'public.start_run(lease uuid, as_of timestamp with time zone)',
        'public.heartbeat(executor_id uuid, leases jsonb, as_of timestamp with time zone)',
        'public.complete_run(lease uuid, result jsonb, as_of timestamp with time zone)',
        'public.complete_runs(executor_id uuid, items jsonb, as_of timestamp with time zone)',
        'public.fail_run(lease uuid, retryable boolean, error_class text, message text, as_of timestamp with time zone, failure_kind text, phase text)',
        'public.confirm_cancel(lease uuid, message text, as_of timestamp with time zone)',
        'public.emit_events(lease uuid, events jsonb, as_of timestamp with time zone)',
        'public.repair_plan(lease uuid, as_of timestamp with time zone)',
        'public.register_artifact(lease uuid, phase text, name text, uri text, sha256 text, size_bytes bigint, content_type text, lineage jsonb, as_of timestamp with time zone, version_id text, etag text)',
        'public.schema_version()'
    ],
    'the executor role executes the executor RPCs and the health probe, nothing else'
);

-- TEST: the executor role cannot log in and is granted to the API's authenticator
select ok(
    pg_has_role('authenticator', 'controlroom_executor', 'member')
    and not (select r.rolcanlogin from pg_catalog.pg_roles as r where r.rolname = 'controlroom_executor'),
    'controlroom_executor is NOLOGIN and granted to authenticator'
);

select * from finish();
rollback;
