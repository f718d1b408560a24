begin;
select plan(9);

-- SETUP
select tests.seed();
select tests.seed_activity();
-- pgTAP lives in `extensions`: assertions made while acting as the reader must reach it (this
-- transaction only; the control plane never grants it).
grant usage on schema extensions to controlroom_queue_reader;
grant usage on schema tests to controlroom_queue_reader;
grant execute on all functions in schema tests to controlroom_queue_reader;

-- TEST: the reader reads queue_depth_by_pool, every workspace's, as the service role does
select tests.authenticate_as_service_role();
create temporary table expected_depth on commit drop as
select
    q.workspace_id,
    q.pool,
    q.queued,
    q.ready,
    q.claimed,
    q.running
from public.queue_depth_by_pool as q
where q.workspace_id in (tests.workspace_id(), tests.other_workspace_id());
select tests.reset_role();
grant select on expected_depth to controlroom_queue_reader;

set local role controlroom_queue_reader;
select results_eq(
    $$
    select workspace_id, pool, queued, ready, claimed, running from public.queue_depth_by_pool
    where workspace_id in (tests.workspace_id(), tests.other_workspace_id()) order by 1, 2
    $$,
    $$ select * from expected_depth order by 1, 2 $$,
    'the queue reader sees the queue depth of every workspace and pool'
);
select ok(
    (select count(*) from expected_depth) = 2,
    'both workspaces have active runs to count'
);

-- TEST: the reader is refused on the runs themselves
select throws_ok(
    $$ select * from public.runs limit 1 $$,
    '42501', null,
    'the queue reader cannot read whole runs'
);
select throws_ok(
    $$ select id, params from public.runs limit 1 $$,
    '42501', null,
    'the queue reader cannot read a run''s id or parameters'
);
select tests.reset_role();

-- TEST: on public.runs the reader holds exactly the columns the view reads
select set_eq(
    $$
    select a.attname::text
    from pg_catalog.pg_attribute as a
    where a.attrelid = 'public.runs'::regclass and a.attnum > 0 and not a.attisdropped
      and has_column_privilege('controlroom_queue_reader', a.attrelid, a.attnum, 'select')
    $$,
    array['workspace_id', 'pool', 'status', 'not_before', 'created_at'],
    'the queue reader may select five columns of public.runs, the view''s'
);

-- TEST: no other table or view, and no write anywhere
select is_empty(
    $$
    select c.relname
    from pg_catalog.pg_class as c
    inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
    where n.nspname in ('public', 'private', 'auth')
      and c.relkind in ('r', 'p', 'v', 'm')
      and (
          (has_table_privilege('controlroom_queue_reader', c.oid, 'select') and c.oid <> 'public.queue_depth_by_pool'::regclass)
          or has_table_privilege('controlroom_queue_reader', c.oid, 'insert')
          or has_table_privilege('controlroom_queue_reader', c.oid, 'update')
          or has_table_privilege('controlroom_queue_reader', c.oid, 'delete')
      )
    $$,
    'the queue reader selects queue_depth_by_pool and no other relation, and writes none'
);

-- TEST: every RPC is refused
select is_empty(
    $$
    select n.nspname || '.' || p.proname
    from pg_catalog.pg_proc as p
    inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
    where n.nspname in ('public', 'private')
      and has_function_privilege('controlroom_queue_reader', p.oid, 'execute')
    $$,
    'the queue reader executes no function of public or private'
);
set local role controlroom_queue_reader;
select throws_ok(
    $$ select public.schema_version() $$,
    '42501', null,
    'the queue reader cannot call even the health probe'
);
select tests.reset_role();

-- TEST: the role cannot log in until an operator says so, and PostgREST cannot switch to it
select ok(
    not (select r.rolcanlogin from pg_catalog.pg_roles as r where r.rolname = 'controlroom_queue_reader')
    and not pg_has_role('authenticator', 'controlroom_queue_reader', 'member'),
    'controlroom_queue_reader is NOLOGIN and not granted to authenticator'
);

select * from finish();
rollback;
