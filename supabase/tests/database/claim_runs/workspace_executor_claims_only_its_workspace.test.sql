begin;
select plan(2);

-- SETUP
select tests.seed();
select tests.submit_run(tests.other_workspace_id(), 'etl');
select tests.submit_run(tests.workspace_id(), 'etl');
select tests.executor(tests.workspace_id()) as executor_id \gset

-- TEST: a workspace executor claims only its workspace's runs
select results_eq(
    format($$ select c.workspace_id from public.claim_runs(%L, 10) as c $$, :'executor_id'),
    $$ values (tests.workspace_id()) $$,
    'an executor confined to a workspace claims only that workspace''s runs'
);

-- TEST: a shared executor claims any workspace's runs of its pool
select tests.executor() as shared_executor_id \gset
select results_eq(
    format($$ select c.workspace_id from public.claim_runs(%L, 10) as c $$, :'shared_executor_id'),
    $$ values (tests.other_workspace_id()) $$,
    'a shared executor claims any workspace''s runs of its pool'
);

select * from finish();
rollback;
