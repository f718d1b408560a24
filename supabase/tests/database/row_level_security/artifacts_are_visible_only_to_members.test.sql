begin;
select plan(8);

-- SETUP
select tests.seed();
select tests.seed_activity();
-- One record in each workspace, registered by its running attempt (leases read as the superuser).
select
    a.lease_token as lease,
    a.run_id
from public.run_attempts as a where a.workspace_id = tests.workspace_id() \gset
select
    a.lease_token as other_lease,
    a.run_id as other_run_id
from public.run_attempts as a where a.workspace_id = tests.other_workspace_id() \gset
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select public.register_artifact(
    :'lease', 'extract', 'out.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), :'run_id'),
    repeat('a', 64), 1
);
select tests.authenticate_as_executor(tests.pool(), tests.other_workspace_id());
select public.register_artifact(
    :'other_lease', 'extract', 'out.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.other_workspace_id(), :'other_run_id'),
    repeat('b', 64), 1
);

-- TEST: anon and executors cannot read artifacts
select tests.clear_authentication();
select throws_ok(
    $$ select count(*)::integer from public.artifacts where workspace_id = tests.workspace_id() $$,
    '42501', null,
    'anon cannot read artifacts'
);

select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select throws_ok(
    $$ select count(*)::integer from public.artifacts where workspace_id = tests.workspace_id() $$,
    '42501', null,
    'an executor cannot read artifacts directly'
);

-- TEST: users see the artifacts of their own workspaces only
select tests.authenticate_as('outsider');
select is(
    (select count(*)::integer from public.artifacts where artifacts.workspace_id = tests.workspace_id()), 0,
    'an unrelated user sees none of the workspace''s artifacts'
);
select is(
    (select count(*)::integer from public.artifacts where artifacts.workspace_id = tests.other_workspace_id()), 1,
    'the unrelated user sees those of their own workspace'
);

select tests.authenticate_as('viewer');
select is((select count(*)::integer from public.artifacts where artifacts.workspace_id = tests.workspace_id()), 1, 'a viewer sees the workspace''s artifacts');
select is((select count(*)::integer from public.artifacts where artifacts.workspace_id = tests.other_workspace_id()), 0, 'a viewer sees nothing of another workspace');

select tests.authenticate_as('operator');
select is((select count(*)::integer from public.artifacts where artifacts.workspace_id = tests.workspace_id()), 1, 'an operator sees the workspace''s artifacts');

-- TEST: the service role sees every workspace's artifacts
select tests.authenticate_as_service_role();
select is(
    (select count(*)::integer from public.artifacts where artifacts.workspace_id in (tests.workspace_id(), tests.other_workspace_id())), 2,
    'the service role sees every workspace''s artifacts'
);

select * from finish();
rollback;
