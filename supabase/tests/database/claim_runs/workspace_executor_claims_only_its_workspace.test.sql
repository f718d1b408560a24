begin;
select plan(2);

select tests.seed();
select tests.submit_run(tests.other_workspace_id(), 'etl');
select tests.submit_run(tests.workspace_id(), 'etl');
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);

select results_eq(
    $$ select c.workspace_id from public.claim_runs(current_setting('t.executor')::uuid, 10) as c $$,
    $$ values (tests.workspace_id()) $$,
    'an executor confined to a workspace claims only that workspace''s runs'
);

select set_config('t.shared', tests.executor()::text, true);
select results_eq(
    $$ select c.workspace_id from public.claim_runs(current_setting('t.shared')::uuid, 10) as c $$,
    $$ values (tests.other_workspace_id()) $$,
    'a shared executor claims any workspace''s runs of its pool'
);

select * from finish();
rollback;
